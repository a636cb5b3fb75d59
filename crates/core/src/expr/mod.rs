//! The indicator expression language: parser, type checker against record fields, and a reference evaluator.
