"""JSON schemas of the tap's streams, one ``<stream name>.json`` file per stream."""
