"""Health Monitor hydration framework: metadata-driven Bronze -> Gold on Delta Lake.

The data's path is the code's path: control row -> spec -> plan -> read -> transform ->
validate -> merge -> audit -> watermark. See docs/architecture.md.
"""

__version__ = "0.1.0"
