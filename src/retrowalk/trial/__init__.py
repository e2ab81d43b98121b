"""Run and analyse a randomised comparison of arms (e.g. conventional vs + retro-walking).

Pure core: definitions, randomisation with concealment, sample size, validated data capture,
analysis and a seeded simulator. Files, terminals and plots live in the edges
(``retrowalk.io.trial``, ``retrowalk.cli.trial``).
"""

from retrowalk.trial.definition import TrialDefinition, stratum_key

__all__ = ["TrialDefinition", "stratum_key"]
