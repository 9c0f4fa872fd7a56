"""target-lightspeed: reverse ETL into Lightspeed Retail (R-Series)."""
