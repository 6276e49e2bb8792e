"""Competency results per official and topic, unit rankings, breakdowns, snapshots and reports.

Import-light on purpose: ``competency.models`` connects the event receivers (``records.py``),
so any app that imports the models (``create_app`` does) keeps the records up to date.
"""
