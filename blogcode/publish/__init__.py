"""Build machinery: the MkDocs plugin, the cached execution fence, figures and provenance.

This is the only part of ``blogcode`` that knows about MkDocs, and only
``plugin`` and ``fence`` import it; ``figures``, ``notices``, ``deps`` and
``results`` are plain helpers that post code may use anywhere.
"""
