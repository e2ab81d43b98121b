"""Request plumbing shared by the two HTTP edges (REST routes and web pages): the per-request
transaction, the login cookie and CSRF token, the caller lookup.

Why a neutral package: the web pages used to borrow these from ``retrowalk.api``; now neither
edge imports the other, and both reach the use cases in :mod:`retrowalk.app`.
"""
