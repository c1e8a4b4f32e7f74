"""The worked example specs of docs/your-own-model.md (installed as ``driftkit.examples``).

``driftkit.theory.families.EXAMPLES`` is this folder; its ``*.toml`` files are the specs.
"""
