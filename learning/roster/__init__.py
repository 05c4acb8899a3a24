"""Reading the member roster an admin uploads (CSV or XLSX with Chinese headers)."""
