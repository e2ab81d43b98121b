"""retrowalk: knee-pain rehabilitation built around backward (retro) walking.

Layout: ``retrowalk.core``, ``retrowalk.gait`` and ``retrowalk.trial`` are the pure core (no I/O);
``retrowalk.io``, ``storage``, ``api``, ``web``, ``cli``, ``reports`` and ``interop`` are the edges
that call it. Data flows one way: edges call the core, never the reverse.
"""

__version__ = "0.1.0"
