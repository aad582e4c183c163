"""Adopting nbops: ``nbops init`` (an existing Ploomber project), ``nbops new`` (a new one),
``nbops init ci`` (a CI workflow).

Every command here checks everything first and writes only then (each file
atomically), so a refused or interrupted command leaves a project as it was
or with whole files. Templates are package data under ``nbops/scaffold/``.
"""
