"""Where files live besides the data directory: media, archive uploads and published feeds."""
