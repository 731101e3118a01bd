"""File formats the app writes for people to open elsewhere (CSV that Excel
opens safely). Pure: rows in, bytes out; no Streamlit, no SQLAlchemy."""
