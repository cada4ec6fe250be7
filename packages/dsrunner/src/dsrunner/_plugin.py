"""The hook implementations rollax finds through the entry point."""
