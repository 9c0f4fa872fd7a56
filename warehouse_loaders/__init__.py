"""Warehouse loaders: well-kept Singer targets with the column types this project's data needs."""
