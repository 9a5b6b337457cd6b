"""One module per output format, named after what it writes; all read the frozen records of
`gradcli.records`, none reads the graph."""
