"""The media servers that post plays here, one parser per kind (``registry.sender_for``)."""
