"""Messages the app sends: their templates, rendered in a sandbox, and their links (pure).

`messages.templates` declares one `TemplateSpec` per purpose (its fixed
variables and default wording), `messages.sandbox` checks and renders a
template in Jinja2's sandbox (`validate`, `render`), and `messages.links`
makes the absolute links that go into them. No Streamlit, no SQLAlchemy:
`data_access.templates` stores edited templates, and `data_access.outbox`
queues what is rendered.
"""
