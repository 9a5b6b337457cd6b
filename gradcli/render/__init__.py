"""One module per output format; all read a Derivation, none reads the graph."""
