"""Charts (SVG) and the printable clinical progress report (PDF)."""
