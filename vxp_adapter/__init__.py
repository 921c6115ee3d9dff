"""edXML messages and the VXP HTTP API (national document exchange axis)."""
