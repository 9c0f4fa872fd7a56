"""What goes on the wire: parameters, filter encoding, paging by ``next``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from tests.tap.conftest import bookmark_state, run_sync


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_filter_is_encoded_with_operator_comma_and_plus(api, config):
    config["start_date"] = "2024-01-01T00:00:00Z"
    run_sync(config, streams={"customers"})
    first = api.list_requests()[0]
    assert "timeStamp=%3E%3D%2C2024-01-01T00%3A00%3A00%2B00%3A00" in first
    assert "+" not in urlsplit(first).query


def test_sales_sort_and_filter_on_updatetime_encoded(api, config):
    config["start_date"] = "2024-01-01T00:00:00Z"
    run_sync(config, streams={"sales"})
    first = api.list_requests()[0]
    assert "sort=updatetime" in first
    assert "updatetime=%3E%3D%2C2024-01-01T00%3A00%3A00%2B00%3A00" in first
    assert "timeStamp" not in first


def test_start_date_in_another_offset_is_normalised_to_utc(api, config):
    config["start_date"] = "2024-03-01T05:00:10-05:00"
    result = run_sync(config, streams={"customers"})
    assert _query(api.list_requests()[0])["timeStamp"] == ">=,2024-03-01T10:00:10+00:00"
    assert sorted(result.ids("customers", "customerID")) == [3, 4, 5, 6, 7]


def test_first_page_parameters_per_stream(api, config):
    config["page_size"] = 50
    run_sync(config, streams={"customers", "items", "images", "sales", "item_shops"})
    by_path = {urlsplit(u).path.rsplit("/", 1)[-1]: _query(u) for u in api.list_requests()}
    assert by_path["Customer.json"] == {
        "limit": "50",
        "archived": "true",
        "sort": "timeStamp",
        "load_relations": '["Contact","CustomFieldValues"]',
    }
    assert (
        by_path["Item.json"]["load_relations"] == '["ItemShops","ItemAttributes","ItemVendorNums"]'
    )
    assert by_path["Item.json"]["sort"] == "timeStamp"
    assert by_path["Sale.json"]["load_relations"] == '["SaleLines","SalePayments"]'
    assert by_path["Sale.json"]["sort"] == "updatetime"
    assert by_path["Image.json"] == {"limit": "50"}  # no sort, no relations, never archived
    assert by_path["ItemShop.json"] == {"limit": "50", "sort": "timeStamp"}  # never archived


def test_default_page_size_is_100(api, config):
    del config["page_size"]
    run_sync(config, streams={"customers"})
    assert _query(api.list_requests()[0])["limit"] == "100"
    assert len(api.list_requests()) == 1


def test_later_pages_follow_next_verbatim(api, config):
    config["start_date"] = "2024-01-01T00:00:00+00:00"
    run_sync(config, streams={"customers"})
    urls = api.list_requests()
    assert len(urls) == len(api.pages) == 4
    for page, url in zip(api.pages[:-1], urls[1:], strict=True):
        assert url == page["@attributes"]["next"]


def test_bookmark_from_state_becomes_the_filter(api, config):
    state = bookmark_state("sales", "updatetime", "2024-03-01T10:00:12+00:00")
    config["start_date"] = "2023-01-01T00:00:00Z"  # older than the bookmark: the bookmark wins
    result = run_sync(config, state=state, streams={"sales"})
    assert _query(api.list_requests()[0])["updatetime"] == ">=,2024-03-01T10:00:12+00:00"
    assert sorted(result.ids("sales", "saleID")) == [1, 3, 4, 5, 6]  # 1: voided at second 40


def test_start_date_newer_than_bookmark_wins(api, config):
    state = bookmark_state("sales", "updatetime", "2024-03-01T10:00:00+00:00")
    config["start_date"] = "2024-03-01T10:00:24Z"
    result = run_sync(config, state=state, streams={"sales"})
    assert _query(api.list_requests()[0])["updatetime"] == ">=,2024-03-01T10:00:24+00:00"
    assert sorted(result.ids("sales", "saleID")) == [1, 5, 6]


def test_account_id_is_looked_up_when_not_configured(api, config):
    del config["account_id"]
    result = run_sync(config, streams={"images"})
    assert len(result.records["images"]) == 4
    assert any(r.url.endswith("/API/V3/Account.json") for r in api.mocker.request_history)


def test_bearer_token_from_the_token_endpoint(api, config):
    run_sync(config, streams={"images"})
    assert api.token_requests == 1
    api_calls = [r for r in api.mocker.request_history if "/Account/" in r.url]
    assert all(r.headers["Authorization"] == "Bearer access-1" for r in api_calls)


def test_request_timeout_setting_is_used(api, config):
    config["request_timeout"] = 7.5
    run_sync(config, streams={"images"})
    api_calls = [r for r in api.mocker.request_history if "/Account/" in r.url]
    assert api_calls
    assert all(r.timeout == 7.5 for r in api_calls)
