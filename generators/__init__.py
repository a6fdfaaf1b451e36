"""perfcycle generators: one KPI spec in, a whole observability bundle out.

The flow is spec -> load -> model -> build -> render -> write:
``spec`` reads the wire format, ``model`` validates it into frozen types,
``build`` turns the model into plain documents, ``pipeline`` renders and writes them.
"""
