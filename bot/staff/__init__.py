"""The staff workspace: employees answer newcomers in the browser (served under /staff)."""
