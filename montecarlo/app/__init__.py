"""The application layer: the command line (:mod:`.cli`), parameter sweeps
(:mod:`.sweep`), reports (:mod:`.report`), plots (:mod:`.plots`) and citations
(:mod:`.cite`). It consumes validation results; nothing in the engine or the kernels
imports it.
"""
