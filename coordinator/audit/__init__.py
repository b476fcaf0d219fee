"""The audit log: who did what to sensitive data, when and from where."""
