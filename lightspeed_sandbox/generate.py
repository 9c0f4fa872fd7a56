"""Deterministic, lazy generation of realistic records.

Every generated record is a pure function of (seed, account, entity, id): nothing is stored per
record except the compact arrays built by :mod:`lightspeed_sandbox.store`. Records come out in
wire form (every scalar a string, collections double-wrapped).
"""

from __future__ import annotations

import bisect
import weakref
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from .wire import fmt_cents, fmt_ts, to_cents, wrap

_M = (1 << 64) - 1
_G = 0x9E3779B97F4A7C15


def mix(x: int) -> int:
    """Return a well-mixed 64-bit hash of ``x`` (splitmix64 finalizer)."""
    x = (x + _G) & _M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M
    return x ^ (x >> 31)


FIRST_NAMES = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Margaret",
    "Donald",
    "Sandra",
    "Steven",
    "Ashley",
    "Paul",
    "Kimberly",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kenneth",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Jason",
    "Rebecca",
    "Edward",
    "Laura",
    "Jeffrey",
    "Helen",
    "Ryan",
    "Sharon",
    "Jacob",
    "Cynthia",
    "Gary",
    "Kathleen",
    "Nicholas",
    "Amy",
    "Eric",
    "Angela",
    "Jonathan",
    "Shirley",
    "Stephen",
    "Anna",
    "Larry",
    "Brenda",
    "Justin",
    "Pamela",
    "Scott",
    "Emma",
    "Brandon",
    "Nicole",
    "Benjamin",
    "Samantha",
    "Samuel",
    "Katherine",
    "Gregory",
    "Christine",
    "Alexander",
    "Debra",
    "Frank",
    "Rachel",
    "Patrick",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Maria",
    "Dennis",
    "Olivia",
    "Jerry",
    "Heather",
    "Tyler",
    "Diane",
    "Aaron",
    "Julie",
    "José",
    "Chloé",
    "Zoë",
    "Renée",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "O'Brien",
    "Tremblay",
    "Gagnon",
    "Côté",
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Washington Blvd",
    "Lake Rd",
    "Hill St",
    "Park Ave",
    "Rue Saint-Denis",
    "Sunset Blvd",
    "River Rd",
    "Church St",
    "Highland Ave",
    "Mill Rd",
    "Forest Dr",
    "Bay St",
]
CITIES = (
    ("Montréal", "Quebec", "QC", "H2X", "Canada", "CA"),
    ("Toronto", "Ontario", "ON", "M5V", "Canada", "CA"),
    ("Vancouver", "British Columbia", "BC", "V6B", "Canada", "CA"),
    ("Portland", "Oregon", "OR", "97201", "United States", "US"),
    ("Austin", "Texas", "TX", "78701", "United States", "US"),
    ("Denver", "Colorado", "CO", "80202", "United States", "US"),
    ("Boston", "Massachusetts", "MA", "02108", "United States", "US"),
    ("Chicago", "Illinois", "IL", "60601", "United States", "US"),
    ("Seattle", "Washington", "WA", "98101", "United States", "US"),
    ("Brooklyn", "New York", "NY", "11201", "United States", "US"),
)
COMPANIES = (
    "Acme Corp",
    "Northwind Traders",
    "Bluebird Design",
    "Maple & Co",
    "Riverside Cycles",
    "Summit Outfitters",
    "Lumen Studio",
    "Harbor Café",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
ADJECTIVES = [
    "Blue",
    "Red",
    "Green",
    "Black",
    "White",
    "Classic",
    "Vintage",
    "Organic",
    "Deluxe",
    "Compact",
    "Heavy-Duty",
    "Wireless",
    "Waterproof",
    "Handmade",
    "Linen",
    "Cotton",
    "Wool",
    "Leather",
    "Bamboo",
    "Ceramic",
    "Steel",
    "Carbon",
    "Trail",
    "Urban",
]
NOUNS = [
    "T-Shirt",
    "Hoodie",
    "Backpack",
    "Water Bottle",
    "Coffee Mug",
    "Notebook",
    "Bike Helmet",
    "Rain Jacket",
    "Socks",
    "Beanie",
    "Tote Bag",
    "Sunglasses",
    "Bike Light",
    "Tire Tube",
    "Chain Lube",
    "Gloves",
    "Scarf",
    "Candle",
    "Teapot",
    "Cutting Board",
    "Yoga Mat",
    "Headphones",
    "Phone Case",
    "Wallet",
    "Belt",
    "Sneakers",
    "Watch",
    "Desk Lamp",
]
#: The adjectives that are colours (a matrix item's first attribute).
COLORS = frozenset({"Blue", "Red", "Green", "Black", "White"})
SIZES = ("XS", "S", "M", "L", "XL", "", "", "", "", "")


@dataclass(frozen=True)
class ReferenceRow:
    """One row of a small reference table (Category, Shop, Employee...), as generated.

    Attributes:
        fields: The row's documented fields in wire form, except its id, ``archived`` and
            its times (which the entity module adds).
        changed_days_ago: Days before the data's end of its last change (``timeStamp``);
            ``createTime`` is 30 days earlier.
        archived: Whether the row is archived (only for entities that archive).
        relations: Relations in wire form, sent when ``load_relations`` asks for them.
    """

    fields: dict[str, Any]
    changed_days_ago: int = 300
    archived: bool = False
    relations: dict[str, Any] = field(default_factory=dict)


def _category(name: str, path: str, depth: int, left: int, right: int, parent: int) -> dict:
    return {
        "name": name,
        "nodeDepth": str(depth),
        "fullPathName": path,
        "leftNode": str(left),
        "rightNode": str(right),
        "parentID": str(parent),
    }


#: Categories (a tree as nested sets; deleting one deletes it, so none is archived).
CATEGORY_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow(_category("Apparel", "Apparel", 0, 1, 2, 0), 400),
    2: ReferenceRow(_category("Accessories", "Accessories", 0, 3, 4, 0), 380),
    3: ReferenceRow(_category("Bikes & Parts", "Bikes & Parts", 0, 5, 8, 0), 20),
    4: ReferenceRow(_category("Home & Kitchen", "Home & Kitchen", 0, 9, 10, 0), 360),
    5: ReferenceRow(_category("Electronics", "Electronics", 0, 11, 12, 0), 7),
    6: ReferenceRow(_category("Helmets", "Bikes & Parts/Helmets", 1, 6, 7, 3), 20),
}
CATEGORIES = {cid: row.fields["name"] for cid, row in CATEGORY_ROWS.items()}
#: The category of the items of each noun (of a matrix and its items alike).
NOUN_CATEGORIES: dict[str, int] = {
    **dict.fromkeys(
        ("T-Shirt", "Hoodie", "Rain Jacket", "Socks", "Beanie", "Gloves", "Scarf", "Sneakers"), 1
    ),
    **dict.fromkeys(
        ("Backpack", "Notebook", "Tote Bag", "Sunglasses", "Wallet", "Belt", "Watch"), 2
    ),
    **dict.fromkeys(("Bike Light", "Tire Tube", "Chain Lube"), 3),
    "Bike Helmet": 6,
    **dict.fromkeys(
        ("Water Bottle", "Coffee Mug", "Candle", "Teapot", "Cutting Board", "Yoga Mat"), 4
    ),
    **dict.fromkeys(("Headphones", "Phone Case", "Desk Lamp"), 5),
}
#: The categories generated items are in.
ITEM_CATEGORIES = tuple(sorted(set(NOUN_CATEGORIES.values())))
#: Manufacturers (they cannot be deleted nor archived).
MANUFACTURER_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow({"name": "Acme"}, 500),
    2: ReferenceRow({"name": "Northwind"}, 410),
    3: ReferenceRow({"name": "Summit Gear"}, 45),
    4: ReferenceRow({"name": "Lumen"}, 3),
}
MANUFACTURERS = {mid: row.fields["name"] for mid, row in MANUFACTURER_ROWS.items()}


def _vendor(name: str, account_number: str, currency: str) -> dict:
    return {
        "name": name,
        "accountNumber": account_number,
        "priceLevel": "",
        "updatePrice": "false",
        "updateCost": "true",
        "updateDescription": "false",
        "shareSellThrough": "false",
        "b2bSellerUID": "",
        "purchasingCurrency": {"code": currency, "symbol": "$", "rate": "1"},
    }


#: Vendors (suppliers); items' ItemVendorNums use the first three.
VENDOR_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow(_vendor("Trailhead Supply", "TS-1001", "USD"), 420),
    2: ReferenceRow(_vendor("Metro Wholesale", "MW-22", "USD"), 90),
    3: ReferenceRow(_vendor("Pacific Imports", "", "CAD"), 12),
    4: ReferenceRow(_vendor("Bayside Traders", "BT-7", "USD"), 200, archived=True),
}
VENDORS = {vid: row.fields["name"] for vid, row in VENDOR_ROWS.items()}
#: Tax classes (deleted rather than archived); items are in class 1.
TAX_CLASS_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow({"name": "Item"}, 700),
    2: ReferenceRow({"name": "Labor"}, 700),
    3: ReferenceRow({"name": "Exempt"}, 40),
}
TAX_CLASSES = {tid: row.fields["name"] for tid, row in TAX_CLASS_ROWS.items()}
#: Customer types (no timeStamp, deleted rather than archived); VIPs get discount 1.
CUSTOMER_TYPE_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow({"name": "Retail", "taxCategoryID": "0", "discountID": "0"}),
    2: ReferenceRow({"name": "Wholesale", "taxCategoryID": "2", "discountID": "0"}),
    3: ReferenceRow({"name": "VIP", "taxCategoryID": "0", "discountID": "1"}),
}
CUSTOMER_TYPES = {cid: row.fields["name"] for cid, row in CUSTOMER_TYPE_ROWS.items()}


def _employee(first: str, last: str, role: int, shop: int, limit_to_shop: int = 0) -> dict:
    return {
        "firstName": first,
        "lastName": last,
        "lockOut": "false",
        "contactID": "0",
        "clockInEmployeeHoursID": "0",
        "employeeRoleID": str(role),
        "limitToShopID": str(limit_to_shop),
        "lastShopID": str(shop),
        "lastSaleID": "0",
        "lastRegisterID": str(shop),
    }


#: Employees (role 1 manager, 2 cashier); generated sales use the active ones. Two cashiers
#: are limited to their shop (``limitToShopID``): their records are all in that shop.
EMPLOYEE_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow(_employee("Alex", "Lugo", 1, 1), 250),
    2: ReferenceRow(_employee("Sam", "Okafor", 2, 1), 60),
    3: ReferenceRow(_employee("Jo", "Tanaka", 2, 2, limit_to_shop=2), 5),
    4: ReferenceRow(_employee("Kim", "Berger", 2, 1, limit_to_shop=1), 150, archived=True),
}
EMPLOYEES = {eid: row.fields["firstName"] for eid, row in EMPLOYEE_ROWS.items()}
#: The employees generated sales are rung up by.
SALE_EMPLOYEES = (1, 2, 3)


def shop_employees(shop: int, employees: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """The employees who may work in a shop: those not limited to another one.

    Args:
        shop: The shop.
        employees: The employees to choose from (default: all of them, archived included).
    """
    pool = tuple(sorted(EMPLOYEES)) if employees is None else employees
    return tuple(
        eid for eid in pool if EMPLOYEE_ROWS[eid].fields["limitToShopID"] in ("0", str(shop))
    )


def _payment_type(name: str, kind: str, reserved: bool, refund_as: int = 0) -> dict:
    return {
        "name": name,
        "requireCustomer": "true" if kind == "credit account" else "false",
        "internalReserved": "true" if reserved else "false",
        "type": kind,
        "refundAsPaymentTypeID": str(refund_as),
    }


#: Payment types (no timeStamp on the wire); sale payments use 1, 2, 4 and 7.
PAYMENT_TYPE_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow(_payment_type("Cash", "cash", True)),
    2: ReferenceRow(_payment_type("Check", "user defined", True)),
    3: ReferenceRow(_payment_type("Credit Account", "credit account", True, 3)),
    4: ReferenceRow(_payment_type("Credit Card", "credit card", True)),
    5: ReferenceRow(_payment_type("Debit Card", "credit card", False, 5)),
    6: ReferenceRow(_payment_type("Layaway", "user defined", False), archived=True),
    7: ReferenceRow(_payment_type("Gift Card", "gift card", True, 7)),
}
PAYMENT_TYPES = {pid: row.fields["name"] for pid, row in PAYMENT_TYPE_ROWS.items()}


def tax_category_rows(taxes: dict[int, SalesTax], end: int) -> dict[int, ReferenceRow]:
    """Return an account's tax categories with their TaxCategoryClasses (per-class rates).

    Each category gives the exempt classes a 0 rate (one TaxCategoryClass each); the other
    classes pay the category's own rates.

    Args:
        taxes: The account's taxes (:func:`sales_taxes`).
        end: The data's end (epoch seconds); the class rates were set 400 days before it.
    """
    rows = {}
    for tid, tax in taxes.items():
        classes = [
            {
                "taxCategoryClassID": str((tid - 1) * len(TAX_CLASSES) + cid),
                "tax1Rate": "0",
                "tax2Rate": "0",
                "timeStamp": fmt_ts(end - 400 * SECONDS_PER_DAY),
                "taxCategoryID": str(tid),
                "taxClassID": str(cid),
            }
            for cid in sorted(TAX_EXEMPT_CLASSES)
        ]
        rows[tid] = ReferenceRow(
            {
                "isTaxInclusive": "false",
                "tax1Name": tax.name1,
                "tax2Name": tax.name2,
                "tax1Rate": fmt_rate(tax.rate1),
                "tax2Rate": fmt_rate(tax.rate2),
            },
            500 - 100 * tid,
            relations={"TaxCategoryClasses": wrap(classes, "TaxCategoryClass")},
        )
    return rows


#: Shop names, by shop id (cycled past the end); one more shop than configured is archived.
SHOP_NAMES = ("Main Street", "Harbour Front", "Airport", "Old Town", "Riverside", "Mall")


def shop_rows(shops: int) -> dict[int, ReferenceRow]:
    """Return an account's shops: ``shops`` open ones and one closed (archived) after them.

    Args:
        shops: The account's number of real shops (sales and stock are on them).
    """
    rows = {}
    for sid in range(1, shops + 2):
        name = SHOP_NAMES[(sid - 1) % len(SHOP_NAMES)]
        closed = sid > shops
        rows[sid] = ReferenceRow(
            {
                "name": f"{name} (closed)" if closed else name,
                "serviceRate": "65" if sid == 1 else "0",
                "timeZone": "America/New_York",
                "taxLabor": "false",
                "labelTitle": "Shop Name",
                "labelMsrp": "false",
                "companyRegistrationNumber": "",
                "vatNumber": "",
                "zebraBrowserPrint": "false",
                "contactID": "0",
                "taxCategoryID": "1",
                "receiptSetupID": str(sid),
                "ccGatewayID": "0",
                "gatewayConfigID": "",
                "priceLevelID": "1",
            },
            600 - sid,
            archived=closed,
        )
    return rows


#: The registers with tipping enabled.
TIP_REGISTERS = frozenset({1})


def register_rows(shops: int) -> dict[int, ReferenceRow]:
    """Return an account's registers: one per shop (same id as its shop), then a retired one.

    Register 1 has tipping enabled (``tipEnabled``): its sales name a ``tipEmployeeID``.

    Args:
        shops: The account's number of real shops; generated sales on shop ``k`` are rung
            up on register ``k``.
    """
    rows = {}
    for rid in range(1, shops + 2):
        retired = rid > shops
        shop = 1 if retired else rid
        rows[rid] = ReferenceRow(
            {
                "name": f"Register {rid}" + (" (retired)" if retired else ""),
                "open": "false" if retired else "true",
                "tipEnabled": "true" if rid in TIP_REGISTERS else "false",
                "openEmployeeID": "0" if retired else "1",
                "shopID": str(shop),
                "ccTerminalID": "0",
            },
            rid,
            archived=retired,
        )
    return rows


#: Tax categories: name and rate in 1/100000 (8000 is 0.08). Sales use 1, whose rates differ
#: between accounts (:func:`sales_taxes`); 2 and 3 are the same everywhere.
TAX_CATEGORIES = {1: ("Sales Tax", 8000), 2: ("Out of State", 0), 3: ("Downtown", 9500)}
#: Tax classes whose lines are never taxed: every tax category gives them a 0 rate (its
#: TaxCategoryClass for the class).
TAX_EXEMPT_CLASSES = frozenset({3})


@dataclass(frozen=True)
class SalesTax:
    """A TaxCategory of one account: its names and rates (rates in 1/100000).

    Attributes:
        name1: ``tax1Name``.
        name2: ``tax2Name`` (empty without a second rate).
        rate1: ``tax1Rate`` in 1/100000 (8000 is 0.08).
        rate2: ``tax2Rate`` in 1/100000.
    """

    name1: str
    name2: str
    rate1: int
    rate2: int

    def rates(self, tax_class: int, taxed: bool) -> tuple[int, int]:
        """Return the two rates a line of a tax class pays (0, 0 when untaxed or exempt)."""
        if not taxed or tax_class in TAX_EXEMPT_CLASSES:
            return 0, 0
        return self.rate1, self.rate2


def sales_taxes(account_index: int) -> dict[int, SalesTax]:
    """Return an account's tax categories (the same ids everywhere, different rates).

    The first account keeps one 8% sales tax; every other account has a two-rate tax (5% +
    4%, 5%, 6%...), so that a sale copied between two accounts totals differently, as it does
    between two real accounts.

    Args:
        account_index: Position of the account (0-based).

    Returns:
        Tax category id -> its tax.
    """
    others = {tid: SalesTax(name, "", rate, 0) for tid, (name, rate) in TAX_CATEGORIES.items()}
    if account_index == 0:
        return others
    return {**others, 1: SalesTax("GST", "PST", 5000, 3000 + 1000 * (account_index % 3))}


def fmt_rate(rate: int) -> str:
    """Return a rate in 1/100000 in wire form (8000 -> ``0.08``, 0 -> ``0``)."""
    text = format(Decimal(rate) / 100000, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def line_taxes(sub: int, rates: tuple[int, int]) -> tuple[int, int]:
    """Return a line's two taxes in cents, from its subtotal in cents and its two rates."""
    return round(sub * rates[0] / 100000), round(sub * rates[1] / 100000)


class PriceLevelRow(NamedTuple):
    """One price level of an account.

    Attributes:
        level_id: ``priceLevelID``.
        name: ``name``.
        type: ``type``.
        can_be_archived: ``canBeArchived`` (the built-ins cannot be archived).
        archived: ``archived`` (items' Prices do not carry an archived level).
    """

    level_id: int
    name: str
    type: str
    can_be_archived: bool
    archived: bool = False


#: Each account's price levels, by account parity. Default (1), MSRP (2) and Online (3) are
#: the built-ins every account has (they cannot be archived); merchants rename them and add
#: their own. Even accounts keep the built-ins' names and add "Wholesale" (4); odd ones renamed
#: Online to "Web Store" and added "Staff" (4) and "Wholesale" (5), so a copy between two
#: neighbouring accounts maps levels by name (Default, MSRP, Wholesale 4 -> 5) and by id
#: (Online -> Web Store, the same built-in). Each has an archived level of its own last
#: ("Clearance"; the PriceLevel page: a level can be archived when ``canBeArchived``).
PRICE_LEVELS: tuple[tuple[PriceLevelRow, ...], ...] = (
    (
        PriceLevelRow(1, "Default", "fixed", False),
        PriceLevelRow(2, "MSRP", "fixed", False),
        PriceLevelRow(3, "Online", "fixed", False),
        PriceLevelRow(4, "Wholesale", "fixed", True),
        PriceLevelRow(5, "Clearance", "fixed", True, archived=True),
    ),
    (
        PriceLevelRow(1, "Default", "fixed", False),
        PriceLevelRow(2, "MSRP", "fixed", False),
        PriceLevelRow(3, "Web Store", "fixed", False),
        PriceLevelRow(4, "Staff", "fixed", True),
        PriceLevelRow(5, "Wholesale", "fixed", True),
        PriceLevelRow(6, "Clearance", "fixed", True, archived=True),
    ),
)
#: The share of the Default price at which items sell on each price level, by level name.
PRICE_LEVEL_SHARES = {"Wholesale": 70, "Staff": 80}


def _attribute_set(name: str, first: str, second: str, third: str, system: bool) -> dict:
    return {
        "name": name,
        "attributeName1": first,
        "attributeName2": second,
        "attributeName3": third,
        "system": "true" if system else "false",
    }


#: Item attribute sets (no timeStamp on the wire): the four built-in ones matrices use, and an
#: archived one of the merchant's.
ITEM_ATTRIBUTE_SET_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow(_attribute_set("Color/Size", "Color", "Size", "", True)),
    2: ReferenceRow(_attribute_set("Size", "Size", "", "", True)),
    3: ReferenceRow(_attribute_set("Color", "Color", "", "", True)),
    4: ReferenceRow(
        _attribute_set("3 Attributes", "Attribute 1", "Attribute 2", "Attribute 3", True)
    ),
    5: ReferenceRow(
        _attribute_set("Color/Size/Fabric", "Color", "Size", "Fabric", False), archived=True
    ),
}


def _discount(name: str, amount: str, percent: str, require_customer: bool) -> dict:
    return {
        "name": name,
        "discountAmount": amount,
        "discountPercent": percent,
        "requireCustomer": "true" if require_customer else "false",
    }


#: Discounts (a percentage or an amount, never both), all in use: VIP customers (their type)
#: get 1 on their lines, a few customers 3 of their own, some lines the dollar discount 2, and
#: some sales made before 4 was archived had it on the whole sale.
DISCOUNT_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow(_discount("VIP 10%", "0", "0.1", True), 320),
    2: ReferenceRow(_discount("Five off", "5", "0", False), 60),
    3: ReferenceRow(_discount("Staff 20%", "0", "0.2", True), 15),
    4: ReferenceRow(_discount("Summer sale", "0", "0.25", False), 200, archived=True),
}
#: The dollar discount some sale lines get (a coupon: no customer needed).
COUPON_DISCOUNT = 2
#: The discount a few customers have of their own.
CUSTOMER_DISCOUNT = 3
#: The sale-wide discount (``Sale.discountID``) of some sales made before it was archived.
SALE_DISCOUNT = 4


def discount_percent(discount_id: int) -> str:
    """Return a discount's ``discountPercent`` in wire form (``"0"``: none, or a dollar one)."""
    row = DISCOUNT_ROWS.get(discount_id)
    return row.fields["discountPercent"] if row is not None else "0"


def discount_amount(discount_id: int) -> int:
    """Return a discount's ``discountAmount`` in cents (0: none, or a percent one)."""
    row = DISCOUNT_ROWS.get(discount_id)
    return to_cents(row.fields["discountAmount"]) if row is not None else 0


#: Seasons (deprecated by Lightspeed, still served; deleted, never archived; no timeStamp).
SEASON_ROWS: dict[int, ReferenceRow] = {
    1: ReferenceRow({"name": "Spring"}),
    2: ReferenceRow({"name": "Summer"}),
    3: ReferenceRow({"name": "Fall"}),
    4: ReferenceRow({"name": "Winter"}),
}
#: Customers holding a store-credit account (spread over the customers, at most this many).
CREDIT_ACCOUNT_HOLDERS = 6
#: Gift cards of every account: (masked code, balance, days since last change, archived).
#: Codes come masked (``employee:customers_view_gift_card_numbers`` would unmask them); a
#: negative balance is value left on the card.
GIFT_CARDS = (
    ("************4821", "-50", 40, False),
    ("************9307", "-12.5", 9, False),
    ("************1164", "0", 220, True),
    ("************7730", "-100", 2, False),
    ("************5012", "-25", 75, False),
)


def credit_account_holders(n_customers: int) -> tuple[int, ...]:
    """The customers holding a store-credit account, in account order (account k: k-th)."""
    step = max(1, n_customers // CREDIT_ACCOUNT_HOLDERS)
    return tuple(range(1, n_customers + 1, step))[:CREDIT_ACCOUNT_HOLDERS]


def _credit_account(name: str, code: str, gift_card: bool, customer: int, balance: str) -> dict:
    return {
        "name": name,
        "code": code,
        "creditLimit": "0" if gift_card else "500",
        "description": "",
        "giftCard": "true" if gift_card else "false",
        "customerID": str(customer),
        "balance": balance,
    }


def credit_account_rows(n_customers: int) -> dict[int, ReferenceRow]:
    """Credit accounts: the holders' store credit (ids 1..), then the gift cards.

    A store-credit balance is what the customer owes; negative, a deposit. The fourth
    customer account is archived.
    """
    rows: dict[int, ReferenceRow] = {}
    for k, customer in enumerate(credit_account_holders(n_customers), 1):
        balance = fmt_cents((mix(k * 7919) % 40_000) - 15_000)
        fields = _credit_account("Customer Credit Account", "", False, customer, balance)
        rows[k] = ReferenceRow(fields, 3 + k * 37, archived=k == 4)
    first_card = len(rows) + 1
    for k, (code, balance, days, archived) in enumerate(GIFT_CARDS):
        fields = _credit_account("Gift Card", code, True, 0, balance)
        rows[first_card + k] = ReferenceRow(fields, days, archived=archived)
    return rows


def item_matrix_id(adjective: int, noun: int) -> int:
    """The matrix of the items described ``ADJECTIVES[adjective] NOUNS[noun] <size>``."""
    return 1 + adjective * len(NOUNS) + noun


@dataclass(frozen=True)
class ItemFiling:
    """Where the items of one description (adjective x noun) are filed, and who sells them.

    A matrix and its items share it; so do the items of that description without a size.

    Attributes:
        category: ``categoryID``: the noun's (:data:`NOUN_CATEGORIES`).
        manufacturer: ``manufacturerID`` (0 for one description in five: none).
        vendor: ``defaultVendorID``: an active vendor, the archived one for one in twelve.
        season: ``seasonID`` for one description in four (seasonal goods), else 0.
    """

    category: int
    manufacturer: int
    vendor: int
    season: int


def _item_filing(adjective: int, noun: int) -> ItemFiling:
    r = mix(item_matrix_id(adjective, noun) * 0x2545F491 + 0x5EA5)
    active = [vid for vid, row in VENDOR_ROWS.items() if not row.archived]
    archived = [vid for vid, row in VENDOR_ROWS.items() if row.archived]
    vendor = archived[0] if (r >> 8) % 12 == 0 else active[(r >> 12) % len(active)]
    seasons = sorted(SEASON_ROWS)
    return ItemFiling(
        NOUN_CATEGORIES[NOUNS[noun]],
        r % (len(MANUFACTURERS) + 1),
        vendor,
        seasons[(r >> 24) % len(seasons)] if (r >> 16) % 4 == 0 else 0,
    )


#: The filing of every description, by matrix id - 1.
ITEM_FILINGS: tuple[ItemFiling, ...] = tuple(
    _item_filing(adjective, noun)
    for adjective in range(len(ADJECTIVES))
    for noun in range(len(NOUNS))
)


def item_filing(matrix_id: int) -> ItemFiling:
    """Return the filing of a description (its matrix id): the matrix's and its items'."""
    return ITEM_FILINGS[matrix_id - 1]


def matrix_attribute_values(first_word: str) -> dict[str, list[str]]:
    """The values a matrix defines per attribute (``attribute1Values``...), as its items use them.

    The official ItemMatrix page's samples list them as arrays, only for the attributes the
    matrix's set has: a "Color/Size" matrix its colour and the sizes, a "Size" one the sizes.
    """
    sizes = [size for size in SIZES if size]
    if first_word in COLORS:
        return {"attribute1Values": [first_word], "attribute2Values": sizes}
    return {"attribute1Values": sizes}


def item_matrix_rows(item_prices: Callable[[int], list[dict[str, str]]]) -> dict[int, ReferenceRow]:
    """Item matrices: one per description without size (adjective x noun), ids 1..n.

    Matrix items carry their matrix's id and share its category, manufacturer, default
    vendor and season (:func:`item_filing`); a matrix whose first word is a colour is a
    "Color/Size" matrix, else a "Size" one. One in 25 is archived.

    Args:
        item_prices: The account's ``Generator.item_prices`` (cents -> wire Prices).
    """
    rows: dict[int, ReferenceRow] = {}
    for adjective, first in enumerate(ADJECTIVES):
        for noun, second in enumerate(NOUNS):
            mid = item_matrix_id(adjective, noun)
            filing = item_filing(mid)
            r = mix(mid * 0x2545F491)
            price = (300 + r % 19_700) // 5 * 5
            fields = {
                "defaultCost": fmt_cents(price * (40 + (r >> 16) % 25) // 100),
                "tax": "true",
                "itemType": "default",
                "serialized": "false",
                "description": f"{first} {second}",
                "modelYear": "0",
                "categoryID": str(filing.category),
                "taxClassID": "1",
                "departmentID": "0",
                "manufacturerID": str(filing.manufacturer),
                "seasonID": str(filing.season),
                "defaultVendorID": str(filing.vendor),
                "itemAttributeSetID": "1" if first in COLORS else "2",
                "Prices": {"ItemPrice": item_prices(price)},
                **matrix_attribute_values(first),
            }
            rows[mid] = ReferenceRow(fields, 2 + (r >> 24) % 500, archived=(r >> 40) % 25 == 0)
    return rows


#: Customer custom fields: id -> (name, type). Choice fields hold a CustomFieldChoice object.
CUSTOMER_CUSTOM_FIELDS = {1: ("Student", "boolean"), 2: ("Loyalty tier", "single_choice")}
LOYALTY_TIERS = {1: "Bronze", 2: "Silver", 3: "Gold"}

IMAGE_BASE_URL = "https://res.cloudinary.com/lightspeed-retail/image/upload/"
SECONDS_PER_DAY = 86400

# Entity kinds used to derive independent hash streams.
K_CUSTOMER, K_ITEM, K_ITEMSHOP, K_IMAGE, K_SALE = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class LineMoney:
    """A sale line's money in cents, as the official SaleLine page defines its fields.

    Attributes:
        subtotal: ``calcSubtotal``: ``unitQuantity * unitPrice``, before any discount.
        line_discount: ``calcLineDiscount``: the line's own discount (``discountAmount``, or
            ``discountPercent`` of the subtotal).
        transaction_discount: ``calcTransactionDiscount``: the sale's discount on this line
            (the sale's percent of what the line's own discount leaves).
        taxes: ``calcTax1`` and ``calcTax2``, on what both discounts leave.
        taxed: Whether the line pays a tax rate (a taxable line of the sale).
    """

    subtotal: int
    line_discount: int
    transaction_discount: int
    taxes: tuple[int, int]
    taxed: bool

    @property
    def amount(self) -> int:
        """What the line charges before tax: its subtotal less both discounts."""
        return self.subtotal - self.line_discount - self.transaction_discount

    @property
    def total(self) -> int:
        """``calcTotal``: the amount plus the taxes."""
        return self.amount + self.taxes[0] + self.taxes[1]


def percent_of(cents: int, percent: str) -> int:
    """Return ``percent`` (wire form, ``"0.1"`` is 10%) of an amount in cents, half up."""
    if percent in ("", "0"):
        return 0
    exact = Decimal(cents) * Decimal(percent)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_line(
    qty: int,
    unit: int,
    rates: tuple[int, int],
    discount_amount: int = 0,
    discount_percent: str = "0",
    transaction_percent: str = "0",
) -> LineMoney:
    """Return a sale line's money from its price, its discount, the sale's discount and rates.

    One home for these amounts: generated lines and written lines both use it.

    Args:
        qty: ``unitQuantity`` (negative for a refund).
        unit: ``unitPrice`` in cents.
        rates: The line's two tax rates in 1/100000 (``(0, 0)``: untaxed).
        discount_amount: ``discountAmount`` in cents (a dollar discount of the line).
        discount_percent: ``discountPercent`` in wire form (a percent discount of the line).
        transaction_percent: The sale's percent discount (its Discount), in wire form.
    """
    subtotal = unit * qty
    line_discount = discount_amount or percent_of(subtotal, discount_percent)
    transaction = percent_of(subtotal - line_discount, transaction_percent)
    taxes = line_taxes(subtotal - line_discount - transaction, rates)
    return LineMoney(subtotal, line_discount, transaction, taxes, rates != (0, 0))


def line_money_fields(money: LineMoney) -> dict[str, str]:
    """Return the computed money fields of a sale line in wire form."""
    return {
        "displayableSubtotal": fmt_cents(money.subtotal - money.line_discount),
        "calcLineDiscount": fmt_cents(money.line_discount),
        "calcTransactionDiscount": fmt_cents(money.transaction_discount),
        "calcTotal": fmt_cents(money.total),
        "calcSubtotal": fmt_cents(money.subtotal),
        "calcTax1": fmt_cents(money.taxes[0]),
        "calcTax2": fmt_cents(money.taxes[1]),
    }


def sale_line_fields(
    qty: int,
    unit: int,
    money: LineMoney,
    *,
    taxed: bool,
    rates: tuple[int, int],
    tax_class: int = 1,
    discount_amount: int = 0,
    discount_percent: str = "0",
) -> dict[str, str]:
    """Return a sale line's quantity, price, discount and computed money fields in wire form.

    One home for these fields: generated lines and written lines both use it.
    """
    calc = line_money_fields(money)
    return {
        "unitQuantity": str(qty),
        "unitPrice": fmt_cents(unit),
        "normalUnitPrice": fmt_cents(unit),
        "discountAmount": fmt_cents(discount_amount),
        "discountPercent": discount_percent,
        "avgCost": "0",
        "fifoCost": "0",
        "tax": "true" if taxed else "false",
        "tax1Rate": fmt_rate(rates[0]),
        "tax2Rate": fmt_rate(rates[1]),
        "isLayaway": "false",
        "isWorkorder": "false",
        "isSpecialOrder": "false",
        "displayableSubtotal": calc["displayableSubtotal"],
        "displayableUnitPrice": fmt_cents(unit),
        "calcLineDiscount": calc["calcLineDiscount"],
        "calcTransactionDiscount": calc["calcTransactionDiscount"],
        "calcTotal": calc["calcTotal"],
        "calcSubtotal": calc["calcSubtotal"],
        "calcTax1": calc["calcTax1"],
        "calcTax2": calc["calcTax2"],
        "taxClassID": str(tax_class),
        "sortorder": "0",
        "onCompletedTrans": "0",
        "priceRuleID": "0",
        "taxCategoryID": "0",
        "itemFeeID": "0",
        "lineType": "",
    }


def sale_total_fields(lines: list[LineMoney], paid: int) -> dict[str, str]:
    """Return a sale's computed money fields in wire form, from its lines' money.

    As the official Sale page defines them: ``calcSubtotal`` sums the lines' subtotals,
    ``calcDiscount`` their line and transaction discounts, and ``total`` is ``calcSubtotal -
    calcDiscount + calcTax1 + calcTax2``; ``displayableSubtotal`` sums the lines' (their
    subtotals less their own discounts). ``calcTaxable`` and ``calcNonTaxable`` split what
    the lines charge before tax between the lines that pay a tax rate and the others. One home
    for these fields: generated sales and written sales both use it.

    Args:
        lines: The money of the sale's lines.
        paid: The sale's payments (not archived) in cents.
    """
    subtotal = sum(line.subtotal for line in lines)
    line_discount = sum(line.line_discount for line in lines)
    discount = line_discount + sum(line.transaction_discount for line in lines)
    taxes = (sum(line.taxes[0] for line in lines), sum(line.taxes[1] for line in lines))
    taxable = sum(line.amount for line in lines if line.taxed)
    tax = taxes[0] + taxes[1]
    total = subtotal - discount + tax
    return {
        "displayableSubtotal": fmt_cents(subtotal - line_discount),
        "calcDiscount": fmt_cents(discount),
        "calcTotal": fmt_cents(total),
        "calcSubtotal": fmt_cents(subtotal),
        "calcTaxable": fmt_cents(taxable),
        "calcNonTaxable": fmt_cents(subtotal - discount - taxable),
        "calcAvgCost": "0",
        "calcFIFOCost": "0",
        "calcTax1": fmt_cents(taxes[0]),
        "calcTax2": fmt_cents(taxes[1]),
        "calcPayments": fmt_cents(paid),
        "calcTips": "0",
        "total": fmt_cents(total),
        "totalDue": fmt_cents(total),
        "displayableTotal": fmt_cents(total),
        "balance": fmt_cents(total - paid),
        "taxTotal": fmt_cents(tax),
    }


def price_levels(account_index: int) -> tuple[PriceLevelRow, ...]:
    """Return an account's price levels, archived ones included (ids 1..n)."""
    return PRICE_LEVELS[account_index % len(PRICE_LEVELS)]


def itemshop_value_fields(qoh: int, cost: int, shop: int) -> dict[str, str]:
    """Return an ItemShop's cost and value fields (since 2025-01-30) from its stock and cost.

    One home for these fields: generated ItemShops and stock writes both use it. The lot ids
    are 0 while nothing was received. ``averageCost`` has a value on the summary (shop 0)
    only, as the API documents.

    Args:
        qoh: Quantity on hand.
        cost: Unit cost in cents.
        shop: The shop (0: the all-shops summary).
    """
    held = max(qoh, 0)
    return {
        "onLayaway": "0",
        "onSpecialOrder": "0",
        "onWorkorder": "0",
        "onTransferOut": "0",
        "onTransferIn": "0",
        "averageCost": fmt_cents(cost) if shop == 0 else "0",
        "totalValueFifo": fmt_cents(held * cost),
        "totalValueAvgCost": fmt_cents(held * cost),
        "totalValueNegativeInventory": fmt_cents(min(qoh, 0) * cost),
        "lastReceivedCost": fmt_cents(cost) if cost else "0",
        "lastReceivedLotID": "0",
        "nextFifoLotCost": fmt_cents(cost) if held else "0",
        "nextFifoLotID": "0",
    }


class Generator:
    """Generates the records of one account deterministically.

    Args:
        seed: Data seed.
        account_index: Position of the account (0-based).
        volumes: Generated counts per entity.
        shops: Number of real shops.
        data_end: Latest generated timestamp (epoch seconds).
        span_days: Days spanned by generated timestamps.
    """

    def __init__(
        self,
        seed: int,
        account_index: int,
        volumes: dict[str, int],
        shops: int,
        data_end: int,
        span_days: int,
    ) -> None:
        base = mix(mix(seed & _M) ^ (account_index + 1))
        self.keys = {kind: mix(base + kind * 0x1000193) for kind in range(1, 6)}
        self.n_customers = volumes["customers"]
        self.n_items = volumes["items"]
        self.n_sales = volumes["sales"]
        self.n_images = volumes["images"]
        self.shops = shops
        self.end = data_end - data_end % SECONDS_PER_DAY
        self.span_days = max(1, span_days)
        self.account_tag = format(mix(base) % 36**4, "x")[:4]
        self.price_levels = price_levels(account_index)
        self.taxes = sales_taxes(account_index)
        #: Customer -> their store-credit account.
        self.credit_accounts = {
            cid: k for k, cid in enumerate(credit_account_holders(self.n_customers), 1)
        }
        #: Shop -> the employees who sell there (not limited to another shop).
        self.sale_employees = {
            shop: shop_employees(shop, SALE_EMPLOYEES) for shop in range(1, max(1, shops) + 1)
        }
        self._matrix_items: dict[int, array] | None = None
        self._credit_sales: dict[int, array] | None = None

    # -- hashing ---------------------------------------------------------------------------
    def _base(self, kind: int, rid: int) -> int:
        return mix(self.keys[kind] ^ ((rid * _G) & _M))

    def timestamp(self, kind: int, rid: int) -> int:
        """Return the generated ``timeStamp`` of a record (epoch seconds).

        A quarter of the records share day-boundary timestamps, so ties are common.
        """
        r = mix(self._base(kind, rid) + 3)
        if r & 3 == 0:
            return self.end - ((r >> 8) % self.span_days) * SECONDS_PER_DAY
        return self.end - (r >> 8) % (self.span_days * SECONDS_PER_DAY)

    def archived(self, kind: int, rid: int) -> bool:
        """Return whether a generated record is archived (about 5%)."""
        if kind in (K_ITEMSHOP, K_IMAGE):
            return False
        return mix(self._base(kind, rid) + 4) % 20 == 0

    def _create_time(self, b: int, ts: int) -> int:
        return ts - mix(b + 5) % (60 * SECONDS_PER_DAY)

    # -- customers -------------------------------------------------------------------------
    def customer_names(self, cid: int) -> tuple[str, str]:
        """Return (firstName, lastName) of a generated customer."""
        b = self._base(K_CUSTOMER, cid)
        return (
            FIRST_NAMES[mix(b + 1) % len(FIRST_NAMES)],
            LAST_NAMES[mix(b + 2) % len(LAST_NAMES)],
        )

    def customer_type(self, cid: int) -> int:
        """Return a generated customer's ``customerTypeID`` (0: none, for two in three)."""
        r = mix(self._base(K_CUSTOMER, cid) + 6)
        return (r >> 12) % 4 if (r >> 16) % 3 == 0 else 0

    def customer_own_terms(self, cid: int) -> tuple[int, int]:
        """Return a generated customer's own (``discountID``, ``taxCategoryID``).

        About one customer in thirty has a discount of their own, one in thirty a tax
        category of their own (out of state, or downtown); the others have none (0).
        """
        t = mix(self._base(K_CUSTOMER, cid) + 9)
        discount = CUSTOMER_DISCOUNT if t % 30 == 0 else 0
        tax = 2 + (t >> 16) % 2 if (t >> 8) % 30 == 0 else 0
        return discount, tax

    def customer_terms(self, cid: int) -> tuple[int, int]:
        """Return the (discount, tax category) a customer's sales get (0: no customer).

        The customer's own, else their type's (a VIP's discount, a wholesaler's tax
        category); the tax category is then the shops' (1).
        """
        if not cid:
            return 0, 1
        discount, tax = self.customer_own_terms(cid)
        ctype = CUSTOMER_TYPE_ROWS.get(self.customer_type(cid))
        if ctype is not None:
            discount = discount or int(ctype.fields["discountID"])
            tax = tax or int(ctype.fields["taxCategoryID"])
        return discount, tax or 1

    def customer(self, cid: int, relations: frozenset[str] | set[str]) -> dict[str, Any]:
        """Return a generated customer in wire form with the requested relations."""
        b = self._base(K_CUSTOMER, cid)
        first, last = self.customer_names(cid)
        ts = self.timestamp(K_CUSTOMER, cid)
        r = mix(b + 6)
        discount, tax = self.customer_own_terms(cid)
        rec: dict[str, Any] = {
            "customerID": str(cid),
            "firstName": first,
            "lastName": last,
            "title": ("", "", "", "Mr.", "Ms.", "Dr.")[r % 6],
            "company": COMPANIES[(r >> 4) % len(COMPANIES)] if (r >> 8) % 7 == 0 else "",
            "companyRegistrationNumber": "",
            "vatNumber": "",
            "createTime": fmt_ts(self._create_time(b, ts)),
            "timeStamp": fmt_ts(ts),
            "archived": "true" if self.archived(K_CUSTOMER, cid) else "false",
            "contactID": str(cid),
            "creditAccountID": str(self.credit_accounts.get(cid, 0)),
            "customerTypeID": str(self.customer_type(cid)),
            "discountID": str(discount),
            "taxCategoryID": str(tax),
            "employeeID": "0",
            "noteID": "0",
        }
        if (r >> 20) % 5 < 2:
            # Date-only: local midnight (UTC-4) expressed in UTC.
            dob = -315_619_200 + ((r >> 24) % 18_000) * SECONDS_PER_DAY + 4 * 3600
            rec = {**rec, "dob": fmt_ts(dob)}
        if "Contact" in relations:
            rec["Contact"] = self.customer_contact(cid, b, first, last, ts)
        return rec

    def customer_custom_field_values(self, cid: int) -> list[dict[str, Any]]:
        """Return a generated customer's CustomFieldValues (three in four customers have some).

        "Student" is a boolean field (its value a string); "Loyalty tier" a single-choice
        field, whose value is the chosen CustomFieldChoice object.
        """
        r = mix(self._base(K_CUSTOMER, cid) + 8)
        if r % 4 == 0:
            return []
        stamp = fmt_ts(self.timestamp(K_CUSTOMER, cid))
        values: list[dict[str, Any]] = [
            {"customFieldID": "1", "value": "true" if (r >> 4) & 1 else "false"}
        ]
        if (r >> 8) % 2:
            tier = 1 + (r >> 12) % len(LOYALTY_TIERS)
            choice = {
                "customFieldChoiceID": str(tier),
                "value": "",
                "name": LOYALTY_TIERS[tier],
                "canBeDeleted": "false",
                "customFieldID": "2",
            }
            values.append({"customFieldID": "2", "value": choice})
        out = []
        for value in values:
            field_id = int(value["customFieldID"])
            name, kind = CUSTOMER_CUSTOM_FIELDS[field_id]
            out.append(
                {
                    "customFieldValueID": str(cid * 2 - 2 + field_id),
                    "customFieldID": value["customFieldID"],
                    "name": name,
                    "type": kind,
                    "value": value["value"],
                    "deleted": "false",
                    "timeStamp": stamp,
                }
            )
        return out

    def customer_contact(self, cid: int, b: int, first: str, last: str, ts: int) -> dict[str, Any]:
        """Return the Contact of a generated customer."""
        r = mix(b + 7)
        n_emails = (0, 1, 1, 1, 1, 2)[r % 6]
        n_phones = (0, 1, 1, 2)[(r >> 3) % 4]
        has_address = (r >> 6) % 4 != 0
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        local = local.encode("ascii", "ignore").decode() or "customer"
        domain = EMAIL_DOMAINS[(r >> 9) % len(EMAIL_DOMAINS)]
        emails = [{"address": f"{local}{cid}@{domain}", "useType": "Primary"}]
        if n_emails == 2:
            emails.append(
                {"address": f"{last.lower()[:3]}{cid}@work.example.com", "useType": "Secondary"}
            )
        if n_emails == 0:
            emails = []
        phones = []
        for k in range(n_phones):
            pr = mix(b + 20 + k)
            phones.append(
                {
                    "number": f"({200 + pr % 800}) 555-{(pr >> 10) % 10000:04d}",
                    "useType": ("Mobile", "Home", "Work")[(pr >> 24) % 3] if k == 0 else "Work",
                }
            )
        addresses = []
        if has_address:
            ar = mix(b + 30)
            city = CITIES[ar % len(CITIES)]
            addresses.append(
                {
                    "address1": f"{1 + (ar >> 8) % 9899} {STREETS[(ar >> 24) % len(STREETS)]}",
                    "address2": "Apt 4" if (ar >> 32) % 9 == 0 else "",
                    "city": city[0],
                    "state": city[1],
                    "zip": city[3] if city[5] == "US" else f"{city[3]} {1 + ar % 9}A{ar % 10}",
                    "country": city[4],
                    "countryCode": city[5],
                    "stateCode": city[2],
                }
            )
        return {
            "custom": "",
            "noEmail": "false" if emails else "true",
            "noPhone": "false" if phones else "true",
            "noMail": "false",
            "Addresses": wrap(addresses, "ContactAddress"),
            "Phones": wrap(phones, "ContactPhone"),
            "Emails": wrap(emails, "ContactEmail"),
            "Websites": "",
            "timeStamp": fmt_ts(ts),
        }

    # -- items -----------------------------------------------------------------------------
    def item_price_cents(self, iid: int) -> int:
        """Return the Default price of a generated item, in cents."""
        r = mix(self._base(K_ITEM, iid) + 10)
        return (300 + r % 19_700) // 5 * 5 - (5 if r & 1 else 0) or 99

    def item_description(self, iid: int) -> str:
        """Return the description of a generated item."""
        r = mix(self._base(K_ITEM, iid) + 11)
        size = SIZES[(r >> 24) % len(SIZES)]
        desc = f"{ADJECTIVES[r % len(ADJECTIVES)]} {NOUNS[(r >> 8) % len(NOUNS)]}"
        return f"{desc} {size}" if size else desc

    def item_cost_cents(self, iid: int) -> int:
        """Return the default cost of a generated item, in cents."""
        r = mix(self._base(K_ITEM, iid) + 12)
        return self.item_price_cents(iid) * (40 + r % 25) // 100

    def item_attributes(self, iid: int) -> dict[str, str] | None:
        """Return a generated matrix item's ItemAttributes (None: not a matrix item).

        Items with a size are matrix items: "Color/Size" when their first word is a colour,
        else "Size".
        """
        r = mix(self._base(K_ITEM, iid) + 11)
        size = SIZES[(r >> 24) % len(SIZES)]
        if not size:
            return None
        adjective = ADJECTIVES[r % len(ADJECTIVES)]
        if adjective in COLORS:
            values = (adjective, size, "")
            attribute_set = 1
        else:
            values = (size, "", "")
            attribute_set = 2
        return {
            "attribute1": values[0],
            "attribute2": values[1],
            "attribute3": values[2],
            "itemAttributeSetID": str(attribute_set),
        }

    def _description_matrix(self, iid: int) -> int:
        """The matrix id of a generated item's description (whether it has a size or not)."""
        r = mix(self._base(K_ITEM, iid) + 11)
        return item_matrix_id(r % len(ADJECTIVES), (r >> 8) % len(NOUNS))

    def item_matrix_id(self, iid: int) -> int:
        """Return the matrix of a generated item (0: none): one per description without size."""
        if self.item_attributes(iid) is None:
            return 0
        return self._description_matrix(iid)

    def item_filing(self, iid: int) -> ItemFiling:
        """Return a generated item's category, manufacturer, default vendor and season.

        Those of its description, so a matrix item's are its matrix's.
        """
        return item_filing(self._description_matrix(iid))

    def item_vendor_nums(self, iid: int) -> list[dict[str, str]]:
        """Return a generated item's ItemVendorNums (vendor SKUs and costs): one for 2 in 3.

        The SKU is at the item's default vendor; an item bought from the archived vendor has
        none (vendor SKUs, purchase orders and returns are with the active vendors).
        """
        r = mix(self._base(K_ITEM, iid) + 14)
        vendor = self.item_filing(iid).vendor
        if r % 3 == 0 or VENDOR_ROWS[vendor].archived:
            return []
        return [
            {
                "itemVendorNumID": str(iid),
                "value": f"V{(r >> 8) % 1_000_000:06d}",
                "cost": fmt_cents(self.item_cost_cents(iid)),
                "timeStamp": fmt_ts(self.timestamp(K_ITEM, iid)),
                "itemID": str(iid),
                "vendorID": str(vendor),
            }
        ]

    def item_prices(self, price: int) -> list[dict[str, str]]:
        """Return an item's prices on the account's price levels (wire form), from cents."""
        out = []
        for level in self.price_levels:
            if level.archived:
                continue
            amount = price * PRICE_LEVEL_SHARES.get(level.name, 100) // 100
            out.append(
                {
                    "amount": fmt_cents(amount),
                    "useTypeID": str(level.level_id),
                    "useType": level.name,
                }
            )
        return out

    def item(self, iid: int, relations: frozenset[str] | set[str]) -> dict[str, Any]:
        """Return a generated item in wire form (``Prices`` always included)."""
        b = self._base(K_ITEM, iid)
        ts = self.timestamp(K_ITEM, iid)
        r = mix(b + 12)
        price = self.item_price_cents(iid)
        cost = self.item_cost_cents(iid)
        upc = f"{(mix(b + 13) % 10**11):011d}"
        upc += str(
            (10 - sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(upc)) % 10) % 10
        )
        filing = self.item_filing(iid)
        manufacturer = filing.manufacturer
        matrix = self.item_matrix_id(iid)
        rec: dict[str, Any] = {
            "itemID": str(iid),
            "systemSku": str(210_000_000_000 + iid),
            "defaultCost": fmt_cents(cost),
            "avgCost": fmt_cents(cost),
            "fifoCost": fmt_cents(cost),
            "discountable": "true",
            "tax": "false" if (r >> 16) % 10 == 0 else "true",
            "archived": "true" if self.archived(K_ITEM, iid) else "false",
            "itemType": "non_inventory" if (r >> 20) % 25 == 0 else "default",
            "serialized": "false",
            "description": self.item_description(iid),
            "modelYear": "0",
            "upc": upc if (r >> 24) % 5 else "",
            "ean": "",
            "customSku": f"{self.account_tag.upper()}-{iid:06d}" if (r >> 28) % 4 else "",
            "manufacturerSku": f"M{(r >> 32) % 100000:05d}" if manufacturer else "",
            "createTime": fmt_ts(self._create_time(b, ts)),
            "timeStamp": fmt_ts(ts),
            "publishToEcom": "true" if (r >> 36) % 3 == 0 else "false",
            "categoryID": str(filing.category),
            "taxClassID": "1",
            "departmentID": "0",
            "itemMatrixID": str(matrix),
            "manufacturerID": str(manufacturer),
            "seasonID": str(filing.season),
            "defaultVendorID": str(filing.vendor),
            "itemAttributesID": str(iid) if matrix else "0",
            "noteID": "0",
            "Prices": {"ItemPrice": self.item_prices(price)},
        }
        return rec

    # -- item shops ------------------------------------------------------------------------
    @property
    def n_itemshops(self) -> int:
        """Number of generated ItemShops (one per shop plus the summary, per item)."""
        return self.n_items * (self.shops + 1)

    def itemshop_ids(self, iid: int) -> range:
        """Return the ids of the generated ItemShops of a generated item."""
        first = (iid - 1) * (self.shops + 1) + 1
        return range(first, first + self.shops + 1)

    def _shop_qoh(self, iid: int, shop: int) -> int:
        return mix(self._base(K_ITEMSHOP, iid) + 40 + shop) % 40 - 3

    def itemshop(self, isid: int) -> dict[str, Any]:
        """Return a generated ItemShop (shopID "0" is the all-shops summary)."""
        iid, k = divmod(isid - 1, self.shops + 1)
        iid += 1
        if k == 0:
            qoh = sum(self._shop_qoh(iid, s) for s in range(1, self.shops + 1))
        else:
            qoh = self._shop_qoh(iid, k)
        r = mix(self._base(K_ITEMSHOP, isid) + 50)
        return {
            "itemShopID": str(isid),
            "qoh": str(qoh),
            "sellable": str(max(qoh, 0)),
            "backorder": "0",
            "componentQoh": "0",
            "componentBackorder": "0",
            **itemshop_value_fields(qoh, self.item_cost_cents(iid), k),
            "reorderPoint": "0" if k == 0 else str(r % 5),
            "reorderLevel": "0" if k == 0 else str(5 + r % 10),
            "timeStamp": fmt_ts(self.timestamp(K_ITEMSHOP, isid)),
            "itemID": str(iid),
            "shopID": str(k),
        }

    # -- images ----------------------------------------------------------------------------
    def image_ids(self, iid: int) -> range:
        """Return the ids of the generated images of a generated item."""
        if iid > self.n_items or not self.n_items:
            return range(0)
        return range(iid, self.n_images + 1, self.n_items)

    def image(self, mid: int) -> dict[str, Any]:
        """Return a generated image."""
        b = self._base(K_IMAGE, mid)
        ts = self.timestamp(K_IMAGE, mid)
        iid = (mid - 1) % self.n_items + 1 if self.n_items else 0
        ordering = (mid - 1) // self.n_items if self.n_items else 0
        public = f"{mix(b + 60):016x}"[:20]
        ext = ("jpg", "jpg", "png", "webp")[mix(b + 61) % 4]
        return {
            "imageID": str(mid),
            "description": f"Item {iid} photo {ordering + 1}",
            "filename": f"item-{iid}-{ordering + 1}.{ext}",
            "ordering": str(ordering),
            "publicID": f"ls/{self.account_tag}/{public}",
            "baseImageURL": IMAGE_BASE_URL,
            "size": str(20_000 + mix(b + 62) % 900_000),
            "createTime": fmt_ts(self._create_time(b, ts)),
            "timeStamp": fmt_ts(ts),
            "itemID": str(iid),
            "itemMatrixID": "0",
        }

    # -- sales -----------------------------------------------------------------------------
    def sale_complete_time(self, sid: int) -> int:
        """Return the generated ``completeTime`` (0 when the sale is open)."""
        b = self._base(K_SALE, sid)
        r = mix(b + 70)
        if r % 100 >= 85:
            return 0
        return self.timestamp(K_SALE, sid) - (r >> 8) % 3600

    def sale_timestamp(self, sid: int) -> int:
        """Return a generated sale's legacy ``timeStamp``: its completion time once completed.

        ``updatetime`` (:meth:`timestamp`) is the last change, at or after the completion.
        """
        return self.sale_complete_time(sid) or self.timestamp(K_SALE, sid)

    def _sale_customer(self, cr: int) -> int:
        """A generated sale's customer (0 for three sales in ten), from its random bits."""
        return 1 + cr % self.n_customers if self.n_customers and cr % 10 < 7 else 0

    def sale(self, sid: int, relations: frozenset[str] | set[str]) -> dict[str, Any]:
        """Return a generated sale (lines reference generated items and customers).

        The customer's terms (:meth:`customer_terms`) set the sale's tax category and the
        discount of its lines; a sale without one, made before the sale-wide discount was
        archived, has it for one sale in eight (``discountID``, each line's transaction
        discount). Employees limited to a shop sell there only; sales on a register with
        tipping enabled name the seller as ``tipEmployeeID``.
        """
        b = self._base(K_SALE, sid)
        ts = self.timestamp(K_SALE, sid)
        r = mix(b + 70)
        completed = r % 100 < 85
        voided = not completed and r % 100 >= 98
        complete = ts - (r >> 8) % 3600
        create = complete - (r >> 20) % 7200
        cr = mix(b + 71)
        customer = self._sale_customer(cr)
        shop = 1 + (cr >> 8) % max(1, self.shops)
        discount, tax_category = self.customer_terms(customer)
        sale_discount = 0
        if not discount and (cr >> 24) % 8 == 0 and create < self._discount_end(SALE_DISCOUNT):
            sale_discount = SALE_DISCOUNT
        tax = self.taxes[tax_category]
        lines = self._sale_lines(sid, b, shop, create, ts, customer, discount, sale_discount, tax)
        money = [line[1] for line in lines]
        total = sum(m.total for m in money)
        payments = self._sale_payments(sid, b, total, complete, shop, customer) if completed else []
        paid = sum(p[0] for p in payments)
        sellers = self.sale_employees[shop]
        employee = sellers[(cr >> 16) % len(sellers)]
        tips = shop in TIP_REGISTERS  # registers have their shop's id
        rec: dict[str, Any] = {
            "saleID": str(sid),
            "timeStamp": fmt_ts(complete if completed else ts),
            "discountPercent": discount_percent(sale_discount),
            "completed": "true" if completed else "false",
            "archived": "true" if self.archived(K_SALE, sid) else "false",
            "voided": "true" if voided else "false",
            "enablePromotions": "true",
            "isTaxInclusive": "false",
            "createTime": fmt_ts(create),
            "updatetime": fmt_ts(ts),
            "referenceNumber": f"WEB-{sid:07d}" if cr % 13 == 0 else "",
            "referenceNumberSource": "webstore" if cr % 13 == 0 else "",
            "tax1Rate": fmt_rate(tax.rate1),
            "tax2Rate": fmt_rate(tax.rate2),
            "change": "0",
            "tipEnabled": "true" if tips else "false",
            "receiptPreference": "printed",
            "ticketNumber": f"220000{sid:06d}",
            **sale_total_fields(money, paid),
            "customerID": str(customer),
            "discountID": str(sale_discount),
            "employeeID": str(employee),
            "tipEmployeeID": str(employee) if tips else "0",
            "quoteID": "0",
            "registerID": str(shop),
            "shipToID": "0",
            "shopID": str(shop),
            "taxCategoryID": str(tax_category),
        }
        if completed:
            rec["completeTime"] = fmt_ts(complete)
        if relations:
            if "SaleLines" in relations:
                rec["SaleLines"] = wrap([line[0] for line in lines], "SaleLine")
            if "SalePayments" in relations:
                rec["SalePayments"] = wrap([p[1] for p in payments], "SalePayment")
            if "SaleNotes" in relations:
                rec["SaleNotes"] = ""
        return rec

    def _discount_end(self, discount_id: int) -> int:
        """When a discount stopped being given: the day it was archived (else after the data)."""
        row = DISCOUNT_ROWS[discount_id]
        if not row.archived:
            return self.end + SECONDS_PER_DAY
        return self.end - row.changed_days_ago * SECONDS_PER_DAY

    def _sale_lines(
        self,
        sid: int,
        b: int,
        shop: int,
        create: int,
        ts: int,
        customer: int,
        discount: int,
        sale_discount: int,
        tax: SalesTax,
    ) -> list[tuple[dict[str, Any], LineMoney]]:
        """A sale's lines and their money.

        A sale line (not a refund) gets the customer's percent discount (``discount``);
        without one, one line in eight has a discount: the "Five off" coupon (a Discount) or
        a cashier's 10% (an amount, no Discount). The sale's own discount takes its percent
        of what each line's discount leaves (``calcTransactionDiscount``).
        """
        if not self.n_items:
            return []
        n = 1 + mix(b + 72) % 4
        rates = tax.rates(1, True)
        transaction = discount_percent(sale_discount)
        lines = []
        for k in range(n):
            lr = mix(b + 80 + k)
            iid = 1 + lr % self.n_items
            qty = 1 + (lr >> 20) % 3
            if (lr >> 24) % 20 == 0:
                qty = -1
            unit = self.item_price_cents(iid)
            line_discount, amount, percent = 0, 0, "0"
            if qty > 0 and discount:
                line_discount, percent = discount, discount_percent(discount)
            elif qty > 0 and (lr >> 28) % 8 == 0:
                if (lr >> 31) & 1:
                    line_discount = COUPON_DISCOUNT
                    amount = min(discount_amount(COUPON_DISCOUNT), unit * qty)
                else:
                    amount = unit * qty // 10
            money = price_line(qty, unit, rates, amount, percent, transaction if qty > 0 else "0")
            line = {
                "saleLineID": str((sid - 1) * 4 + k + 1),
                "createTime": fmt_ts(create),
                "timeStamp": fmt_ts(ts),
                **sale_line_fields(
                    qty,
                    unit,
                    money,
                    taxed=True,
                    rates=rates,
                    discount_amount=amount,
                    discount_percent=percent,
                ),
                "customerID": str(customer),
                "discountID": str(line_discount),
                "employeeID": "1",
                "itemID": str(iid),
                "noteID": "0",
                "parentSaleLineID": "0",
                "shopID": str(shop),
                "saleID": str(sid),
            }
            line["sortorder"] = str(k + 1)
            lines.append((line, money))
        return lines

    def _payment_kind(self, pr: int, k: int, store_credit: int) -> tuple[int, int]:
        """(payment type, credit account) of a sale's k-th payment, from its random bits."""
        ptype = (1, 4, 4, 4, 2, 7)[(pr >> (12 + 3 * k)) % 6]
        if ptype in (2, 4) and store_credit:
            return 3, store_credit
        if ptype == 7:
            first_card = len(self.credit_accounts) + 1
            return ptype, first_card + (pr >> (40 + 3 * k)) % len(GIFT_CARDS)
        return ptype, 0

    def _sale_payments(
        self, sid: int, b: int, total: int, complete: int, shop: int, customer: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """A completed sale's payments: one, or two for a fifth of the sales over $2.

        A customer with store credit pays by credit account where others pay by check or card; a
        gift card payment names the card (a ``CreditAccount`` too, after the holders' ones).
        """
        pr = mix(b + 90)
        store_credit = self.credit_accounts.get(customer, 0)
        parts = [total]
        if pr % 5 == 0 and abs(total) > 200:
            first = total * (20 + (pr >> 8) % 60) // 100
            parts = [first, total - first]
        out = []
        for k, amount in enumerate(parts):
            ptype, account = self._payment_kind(pr, k, store_credit)
            out.append(
                (
                    amount,
                    {
                        "salePaymentID": str((sid - 1) * 2 + k + 1),
                        "amount": fmt_cents(amount),
                        "tipAmount": "0",
                        "createTime": fmt_ts(complete),
                        "archived": "false",
                        "remoteReference": "",
                        "paymentID": "",
                        "saleID": str(sid),
                        "paymentTypeID": str(ptype),
                        "ccChargeID": "0",
                        "refPaymentID": "0",
                        "registerID": str(shop),
                        "employeeID": "1",
                        "creditAccountID": str(account),
                    },
                )
            )
        return out

    # -- indexes (built once, on the first request that needs them) -------------------------
    def matrix_items(self, matrix_id: int) -> array:
        """Return the generated items of a matrix, in id order.

        The first call indexes every generated item (a pass over the items, once).
        """
        if self._matrix_items is None:
            index: dict[int, array] = {}
            for iid in range(1, self.n_items + 1):
                mid = self.item_matrix_id(iid)
                if mid:
                    index.setdefault(mid, array("q")).append(iid)
            self._matrix_items = index
        return self._matrix_items.get(matrix_id, _NO_IDS)

    def credit_account_sales(self, account_id: int) -> array:
        """Return the generated sales that may have paid with a credit account, in id order.

        A superset (a sale's second payment is counted whatever its total); the caller keeps
        the payments that name the account. The first call indexes every generated sale from
        a few hashes each (no lines), once.
        """
        if self._credit_sales is None:
            index: dict[int, array] = {}
            for sid in range(1, self.n_sales + 1):
                b = self._base(K_SALE, sid)
                if mix(b + 70) % 100 >= 85:  # open sales have no payments
                    continue
                store_credit = self.credit_accounts.get(self._sale_customer(mix(b + 71)), 0)
                pr = mix(b + 90)
                for k in (0, 1):
                    account = self._payment_kind(pr, k, store_credit)[1]
                    ids = index.setdefault(account, array("q")) if account else None
                    if ids is not None and (not ids or ids[-1] != sid):
                        ids.append(sid)
            self._credit_sales = index
        return self._credit_sales.get(account_id, _NO_IDS)


#: An empty id array (a matrix without items, an account nothing paid with).
_NO_IDS = array("q")


# ==========================================================================================
# Purchasing and stock movement: purchase orders, transfers, inventory counts, vendor
# returns, work orders and special orders. Foreign keys point at rows the generator already
# makes: items 1..n_items, customers 1..n_customers, sales (and their first line), shops
# 1..shops, EMPLOYEES and MOVEMENT_VENDOR_IDS.
# ==========================================================================================

(
    K_ORDER,
    K_TRANSFER,
    K_INVENTORY_COUNT,
    K_VENDOR_RETURN,
    K_WORKORDER,
    K_SPECIAL_ORDER,
) = MOVEMENT_KINDS = (101, 102, 103, 104, 105, 106)
#: The vendors that purchase orders and vendor returns go to: those of ItemVendorNums.
MOVEMENT_VENDOR_IDS = (1, 2, 3)
TRANSFER_STATUSES = ("open", "sent", "received")
SPECIAL_ORDER_STATUSES = ("Not Ordered", "Ordered", "Ready For Pickup", "Picked Up")


class ChildIds:
    """Contiguous child ids 1..n of parents 1..m, from each parent's number of children.

    Args:
        counts: The number of children of parent 1, 2, ... m.
    """

    def __init__(self, counts: list[int]) -> None:
        starts = array("q", [0])
        for count in counts:
            starts.append(starts[-1] + count)
        self._starts = starts

    @property
    def n(self) -> int:
        """The number of children of all parents."""
        return self._starts[-1]

    def of(self, parent: int) -> range:
        """Return the ids of a parent's children."""
        return range(self._starts[parent - 1] + 1, self._starts[parent] + 1)

    def parent(self, child: int) -> tuple[int, int]:
        """Return (parent, position among its children) of a child id."""
        parent = bisect.bisect_left(self._starts, child)
        return parent, child - 1 - self._starts[parent - 1]


def _day(epoch: int) -> int:
    """Midnight (UTC) of the day of ``epoch``: the form of date-only fields."""
    return epoch - epoch % SECONDS_PER_DAY


class StockMovements:
    """The purchasing and stock-movement records of one account (see :func:`movements`).

    Counts follow the account's volumes (at least a handful each, none without items);
    parents 1 and 2 of every parent entity have zero and one child, so the wire's ``""``
    and single-object collections always occur. About one record in five of an entity
    that can be archived is archived: record 3 always, records 1 and 2 never.
    """

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        for kind in MOVEMENT_KINDS:
            gen.keys.setdefault(kind, mix(gen.keys[K_ITEM] + kind * 0x1000193))
        #: Shop -> the employees who may work there.
        self.employees_at = {shop: shop_employees(shop) for shop in range(1, max(1, gen.shops) + 1)}
        items = gen.n_items
        self.n_orders = max(8, items // 10) if items else 0
        self.n_transfers = max(6, items // 20) if items else 0
        self.n_counts = max(6, 3 * gen.shops) if items else 0
        self.n_vendor_returns = max(5, items // 30) if items else 0
        self.n_workorders = max(5, gen.n_customers // 20) if items and gen.n_customers else 0
        self.n_special_orders = max(5, gen.n_sales // 20) if items and gen.n_sales else 0
        self.order_lines = ChildIds([self._children(K_ORDER, i, 4) for i in self._ids(K_ORDER)])
        self.transfer_items = ChildIds(
            [self._children(K_TRANSFER, i, 3) for i in self._ids(K_TRANSFER)]
        )
        self.count_items = ChildIds(
            [2 + self._children(K_INVENTORY_COUNT, i, 4) for i in self._ids(K_INVENTORY_COUNT)]
        )
        self.vendor_return_items = ChildIds(
            [self._children(K_VENDOR_RETURN, i, 3) for i in self._ids(K_VENDOR_RETURN)]
        )

    # -- shared -----------------------------------------------------------------------------
    def _ids(self, kind: int) -> range:
        counts = {
            K_ORDER: self.n_orders,
            K_TRANSFER: self.n_transfers,
            K_INVENTORY_COUNT: self.n_counts,
            K_VENDOR_RETURN: self.n_vendor_returns,
        }
        return range(1, counts[kind] + 1)

    def _children(self, kind: int, rid: int, most: int) -> int:
        """How many children a parent has: 0 for record 1, 1 for record 2, else 1..most."""
        if rid <= 2:
            return rid - 1
        return min(1 + mix(self.gen._base(kind, rid) + 60) % most, self.gen.n_items)

    def _r(self, kind: int, rid: int, salt: int) -> int:
        return mix(self.gen._base(kind, rid) + salt)

    def timestamp(self, kind: int, rid: int) -> int:
        """The record's ``timeStamp`` (epoch seconds)."""
        return self.gen.timestamp(kind, rid)

    def archived(self, kind: int, rid: int) -> bool:
        """Whether the record is archived: record 3, and about one in five after it."""
        return rid == 3 or (rid > 3 and self._r(kind, rid, 4) % 5 == 0)

    def _shop(self, kind: int, rid: int, salt: int = 8) -> int:
        return 1 + self._r(kind, rid, salt) % max(1, self.gen.shops)

    def _item(self, kind: int, rid: int, k: int) -> int:
        """The item of a parent's k-th child: distinct within the parent."""
        return 1 + (self._r(kind, rid, 9) + k) % self.gen.n_items

    def _child_item(self, kind: int, parent: int, k: int, most: int) -> tuple[int, int, int, int]:
        """(random bits, item, quantity 1..most, the item's cost) of a parent's k-th line."""
        r = self._r(kind, parent, 30 + k)
        iid = self._item(kind, parent, k)
        return r, iid, 1 + r % most, self.gen.item_cost_cents(iid)

    def _employee(self, kind: int, rid: int, shop: int) -> int:
        """The employee of a record in a shop: one who may work there (``limitToShopID``)."""
        pool = self.employees_at[shop]
        return pool[self._r(kind, rid, 10) % len(pool)]

    def _vendor(self, kind: int, rid: int) -> int:
        return MOVEMENT_VENDOR_IDS[self._r(kind, rid, 11) % len(MOVEMENT_VENDOR_IDS)]

    # -- purchase orders --------------------------------------------------------------------
    def order(self, oid: int, relations: frozenset[str] | set[str]) -> dict[str, Any]:
        """A purchase order (``OrderLines`` when asked for)."""
        ts = self.timestamp(K_ORDER, oid)
        r = self._r(K_ORDER, oid, 20)
        create = ts - r % (20 * SECONDS_PER_DAY)
        ordered = _day(create) + SECONDS_PER_DAY
        complete = r % 3 != 0
        lines = [self.order_line(i) for i in self.order_lines.of(oid)]
        ship = (r >> 8) % 2000
        other = 0 if (r >> 20) % 4 else -((r >> 24) % 500)
        subtotal = sum(to_cents(line["total"]) for line in lines)
        rec: dict[str, Any] = {
            "orderID": str(oid),
            "orderedDate": fmt_ts(ordered),
            "arrivalDate": fmt_ts(ordered + 7 * SECONDS_PER_DAY),
            "shipInstructions": "",
            "stockInstructions": "",
            "shipCost": fmt_cents(ship),
            "shipVendorCost": fmt_cents(ship),
            "otherCost": fmt_cents(other),
            "otherVendorCost": fmt_cents(other),
            "complete": "true" if complete else "false",
            "archived": "true" if self.archived(K_ORDER, oid) else "false",
            "discount": "0",
            "totalDiscount": "0",
            "totalQuantity": str(sum(int(line["quantity"]) for line in lines)),
            "subTotalCost": fmt_cents(subtotal),
            "totalCost": fmt_cents(subtotal + ship + other),
            "timeStamp": fmt_ts(ts),
            "refNum": f"PO-{oid:05d}",
            "createTime": fmt_ts(create),
            "vendorCurrencyRate": "1",
            "vendorCurrencyCode": "USD",
            "shippingCostMethod": "evenly",
            "hasShipments": "false",
            "discountMethod": "proportionally",
            "discountMoneyValue": "0",
            "discountMoneyVendorValue": "0",
            "discountIsPercent": "false",
            "discountPercentValue": "0",
            "costsModifiedAfterShipment": "false",
            "b2bOrderUID": "",
            "b2bOrderNumber": "",
            "vendorID": str(self._vendor(K_ORDER, oid)),
            "noteID": "0",
            "shopID": str(self._shop(K_ORDER, oid)),
            "createdByEmployeeID": str(self._employee(K_ORDER, oid, self._shop(K_ORDER, oid))),
        }
        if complete:
            rec["receivedDate"] = fmt_ts(ordered + (2 + (r >> 28) % 9) * SECONDS_PER_DAY)
        if "OrderLines" in relations:
            rec["OrderLines"] = wrap(lines, "OrderLine")
        return rec

    def order_line(self, lid: int) -> dict[str, Any]:
        """A purchase-order line (an item, its cost, what was checked in)."""
        oid, k = self.order_lines.parent(lid)
        ts = self.timestamp(K_ORDER, oid)
        complete = self._r(K_ORDER, oid, 20) % 3 != 0
        r, iid, quantity, cost = self._child_item(K_ORDER, oid, k, 24)
        return {
            "orderLineID": str(lid),
            "quantity": str(quantity),
            "price": fmt_cents(cost),
            "originalPrice": fmt_cents(cost),
            "vendorCost": fmt_cents(cost),
            "checkedIn": str(quantity if complete else 0),
            "numReceived": "0",
            "timeStamp": fmt_ts(ts),
            "total": fmt_cents(quantity * cost),
            "createTime": fmt_ts(ts - r % SECONDS_PER_DAY),
            "shippingCost": "0",
            "shippingVendorCost": "0",
            "discountMoneyValue": "0",
            "discountMoneyVendorValue": "0",
            "discountPercentValue": "0",
            "orderID": str(oid),
            "itemID": str(iid),
        }

    # -- transfers --------------------------------------------------------------------------
    def _transfer_status(self, tid: int) -> str:
        return TRANSFER_STATUSES[self._r(K_TRANSFER, tid, 20) % len(TRANSFER_STATUSES)]

    def transfer(self, tid: int) -> dict[str, Any]:
        """A transfer between two shops (the same shop twice when the account has one)."""
        ts = self.timestamp(K_TRANSFER, tid)
        r = self._r(K_TRANSFER, tid, 21)
        status = self._transfer_status(tid)
        sending = self._shop(K_TRANSFER, tid)
        receiving = sending % self.gen.shops + 1
        create = ts - r % (10 * SECONDS_PER_DAY)
        rec = {
            "transferID": str(tid),
            "note": "" if r % 3 else f"Restock shop {receiving}",
            "archived": "true" if self.archived(K_TRANSFER, tid) else "false",
            "timeStamp": fmt_ts(ts),
            "createTime": fmt_ts(create),
            "status": status,
            "needBy": fmt_ts(_day(create) + 7 * SECONDS_PER_DAY),
            "sendingShopID": str(sending),
            "sentByEmployeeID": "0",
            "receivingShopID": str(receiving),
            "createdByEmployeeID": str(self._employee(K_TRANSFER, tid, sending)),
        }
        if status != "open":
            rec["sentOn"] = fmt_ts(create + (r >> 8) % (3 * SECONDS_PER_DAY))
            rec["sentByEmployeeID"] = rec["createdByEmployeeID"]
        return rec

    def transfer_item(self, xid: int) -> dict[str, Any]:
        """A transfer line: what was to be sent, sent and received, at the item's cost."""
        tid, k = self.transfer_items.parent(xid)
        status = self._transfer_status(tid)
        _r, iid, quantity, cost = self._child_item(K_TRANSFER, tid, k, 6)
        sent = quantity if status != "open" else 0
        received = quantity if status == "received" else 0
        return {
            "transferItemID": str(xid),
            "toSend": str(quantity),
            "toReceive": str(received),
            "sent": str(sent),
            "received": str(received),
            "sentValue": fmt_cents(sent * cost),
            "receivedValue": fmt_cents(received * cost),
            "comment": "",
            "timeStamp": fmt_ts(self.timestamp(K_TRANSFER, tid)),
            "transferID": str(tid),
            "itemID": str(iid),
        }

    # -- inventory counts -------------------------------------------------------------------
    def inventory_count(self, cid: int) -> dict[str, Any]:
        """A physical count at a shop."""
        ts = self.timestamp(K_INVENTORY_COUNT, cid)
        return {
            "inventoryCountID": str(cid),
            "name": f"Count {cid} - {fmt_ts(ts)[:7]}",
            "timeStamp": fmt_ts(ts),
            "archived": "true" if self.archived(K_INVENTORY_COUNT, cid) else "false",
            "shopID": str(self._shop(K_INVENTORY_COUNT, cid)),
        }

    def count_item_timestamp(self, xid: int) -> int:
        """When an item was counted: within the hour before its count's ``timeStamp``."""
        cid, k = self.count_items.parent(xid)
        r = self._r(K_INVENTORY_COUNT, cid, 30 + k)
        return self.timestamp(K_INVENTORY_COUNT, cid) - r % 3600

    def inventory_count_item(self, xid: int) -> dict[str, Any]:
        """The amount of an item counted in a count."""
        cid, k = self.count_items.parent(xid)
        r = self._r(K_INVENTORY_COUNT, cid, 30 + k)
        return {
            "inventoryCountItemID": str(xid),
            "qty": str(r % 40),
            "timeStamp": fmt_ts(self.count_item_timestamp(xid)),
            "inventoryCountID": str(cid),
            "itemID": str(self._item(K_INVENTORY_COUNT, cid, k)),
            "employeeID": str(
                self._employee(K_INVENTORY_COUNT, cid, self._shop(K_INVENTORY_COUNT, cid))
            ),
        }

    # -- vendor returns ---------------------------------------------------------------------
    def vendor_return(self, vid: int, relations: frozenset[str] | set[str]) -> dict[str, Any]:
        """A return of items to a vendor (``VendorReturnItems`` when asked for)."""
        ts = self.timestamp(K_VENDOR_RETURN, vid)
        r = self._r(K_VENDOR_RETURN, vid, 20)
        sent = r % 2 == 0
        items = [self.vendor_return_item(i) for i in self.vendor_return_items.of(vid)]
        subtotal = sum(to_cents(item["subtotal"]) for item in items)
        ship = 0 if (r >> 8) % 3 else (r >> 12) % 1500
        rec: dict[str, Any] = {
            "vendorReturnID": str(vid),
            "vendorID": str(self._vendor(K_VENDOR_RETURN, vid)),
            "shopID": str(self._shop(K_VENDOR_RETURN, vid)),
            "refNum": f"RMA-{vid:05d}" if sent else "",
            "status": "sent" if sent else "open",
            "archived": "true" if self.archived(K_VENDOR_RETURN, vid) else "false",
            "shipCost": fmt_cents(ship),
            "otherCost": "0",
            "subtotal": fmt_cents(subtotal),
            "total": fmt_cents(subtotal + ship),
            "timeStamp": fmt_ts(ts),
            "hideVendorDetails": "false",
        }
        if sent:
            rec["sentDate"] = fmt_ts(_day(ts))
        if "VendorReturnItems" in relations:
            rec["VendorReturnItems"] = wrap(items, "VendorReturnItem")
        return {k: rec[k] for k in sorted(rec, key=_VENDOR_RETURN_ORDER.index)}

    def vendor_return_item(self, xid: int) -> dict[str, Any]:
        """An item returned to a vendor, at its cost, with a reason."""
        vid, k = self.vendor_return_items.parent(xid)
        r, iid, quantity, cost = self._child_item(K_VENDOR_RETURN, vid, k, 5)
        return {
            "vendorReturnItemID": str(xid),
            "vendorReturnID": str(vid),
            "itemID": str(iid),
            "orderID": "0",
            "quantity": str(quantity),
            "cost": fmt_cents(cost),
            "subtotal": fmt_cents(quantity * cost),
            "inventoryInStock": str((r >> 8) % 50),
            "vendorReturnItemReasonID": str(1 + (r >> 16) % 2),
        }

    # -- work orders ------------------------------------------------------------------------
    def _sale_with_lines(self, kind: int, rid: int) -> int:
        """A sale for a record to refer to (every generated sale has lines when items exist)."""
        return 1 + self._r(kind, rid, 12) % self.gen.n_sales if self.gen.n_sales else 0

    def workorder(self, wid: int) -> dict[str, Any]:
        """A repair ticket for a customer; a finished one refers to the sale that paid it."""
        ts = self.timestamp(K_WORKORDER, wid)
        r = self._r(K_WORKORDER, wid, 20)
        finished = r % 2 == 0
        sale = self._sale_with_lines(K_WORKORDER, wid) if finished else 0
        time_in = ts - r % (14 * SECONDS_PER_DAY)
        return {
            "workorderID": str(wid),
            "systemSku": str(250000000000 + wid),
            "timeIn": fmt_ts(time_in),
            "etaOut": fmt_ts(_day(time_in) + 3 * SECONDS_PER_DAY),
            "note": "" if (r >> 8) % 2 else "Tune-up",
            "internalNote": "",
            "warranty": "true" if (r >> 12) % 5 == 0 else "false",
            "tax": "true",
            "archived": "true" if self.archived(K_WORKORDER, wid) else "false",
            "hookIn": f"H{(r >> 16) % 20 + 1}",
            "hookOut": f"H{(r >> 20) % 20 + 1}" if finished else "",
            "saveParts": "false",
            "assignEmployeeToAll": "false",
            "timeStamp": fmt_ts(ts),
            "customerID": str(1 + (r >> 24) % self.gen.n_customers),
            "discountID": "0",
            "employeeID": str(self._employee(K_WORKORDER, wid, self._shop(K_WORKORDER, wid))),
            "serializedID": "0",
            "shopID": str(self._shop(K_WORKORDER, wid)),
            "saleID": str(sale),
            "saleLineID": str((sale - 1) * 4 + 1) if sale else "0",
            "workorderStatusID": "0",
        }

    # -- special orders ---------------------------------------------------------------------
    def special_order(self, sid: int) -> dict[str, Any]:
        """A customer's special order, started on a sale line (the sale's first)."""
        r = self._r(K_SPECIAL_ORDER, sid, 20)
        sale_id = self._sale_with_lines(K_SPECIAL_ORDER, sid)
        sale = self.gen.sale(sale_id, frozenset())
        customer = int(sale["customerID"]) or 1 + (r >> 8) % self.gen.n_customers
        status = SPECIAL_ORDER_STATUSES[r % len(SPECIAL_ORDER_STATUSES)]
        ordered = status != "Not Ordered" and self.n_orders > 0 and self.order_lines.n > 0
        return {
            "specialOrderID": str(sid),
            "unitQuantity": str(1 + (r >> 4) % 2),
            "contacted": "true" if status in ("Ready For Pickup", "Picked Up") else "false",
            "completed": "true" if status == "Picked Up" else "false",
            "timeStamp": fmt_ts(self.timestamp(K_SPECIAL_ORDER, sid)),
            "status": status,
            "customerID": str(customer) if self.gen.n_customers else "0",
            "shopID": sale["shopID"],
            "saleLineID": str((sale_id - 1) * 4 + 1),
            "orderLineID": str(1 + (r >> 12) % self.order_lines.n) if ordered else "0",
            "transferItemID": "0",
        }


#: Field order of a vendor return on the wire (as in the official sample).
_VENDOR_RETURN_ORDER = (
    "vendorReturnID",
    "vendorID",
    "shopID",
    "refNum",
    "status",
    "archived",
    "sentDate",
    "shipCost",
    "otherCost",
    "VendorReturnItems",
    "subtotal",
    "total",
    "timeStamp",
    "hideVendorDetails",
)

_MOVEMENTS: weakref.WeakKeyDictionary[Generator, StockMovements] = weakref.WeakKeyDictionary()


def movements(gen: Generator) -> StockMovements:
    """The purchasing and stock-movement records of a generator's account (built once)."""
    found = _MOVEMENTS.get(gen)
    if found is None:
        found = _MOVEMENTS[gen] = StockMovements(gen)
    return found
