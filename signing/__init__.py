"""PAdES signing and validation of PDFs over pyHanko; knows nothing of eoffice."""
