"""Plotly figures built from plain data (tables in, figures out): the
coverage charts and the rankings' charts. No Streamlit, no SQLAlchemy."""
