"""Outcome scores: KOOS (+ short forms) in :mod:`.koos`, NPRS in :mod:`.nprs`, clinically
important change in :mod:`.mcid`.

Nothing is re-exported here: importing ``retrowalk.core.scores.nprs`` (every pain rule does)
must not build KOOS's models too, which cost the CLI's ``next`` and ``assess`` start-up time.
"""
