"""The use cases: one module per flow (auth, access, clients, assessments, programmes, sessions,
questionnaires, recordings, outcomes, dashboard, records).

Why: every edge (web pages, REST routes, CLI, jobs, interop) used to compute the clinical loop
its own way, and they disagreed. Here each flow takes a database session and typed inputs,
judges with the core, applies through ``storage.crud`` and audits, once; the edges only parse,
call and render. See docs/architecture.md.
"""
