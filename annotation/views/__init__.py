"""The annotation app's pages, one module per group: projects, calls, workforce, annotating."""
