"""Streamlit glue shared by `app.py` and the pages: context, sign-in, guards,
safe rendering. Business rules live in `scoring/` and `data_access/`."""
