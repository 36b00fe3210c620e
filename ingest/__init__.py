"""Pages become records, and records reach the graph and the index: fetching and archiving (crawl.py,
archive.py, history.py), reading pages (sources.py, text.py, pages.py, extract.py; pipeline.py runs
them), merging renderings (merge.py) and the one write path (load.py). May import `ontology`,
`graph` and `search`."""
