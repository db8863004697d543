"""The team's French user guide (docs/guide/*.md) rendered to one HTML page and a PDF."""
