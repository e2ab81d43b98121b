"""Interoperability edge: FHIR R4 export/import and research exports of a ``ClientRecord``."""
