"""blogcode: the implementations behind the blog's posts.

Each topic lives in its own subpackage (``blogcode.ssm``, ``blogcode.transforms``, ...)
and can be used from a notebook without any site machinery.  Only
``blogcode.publish`` knows about MkDocs.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
