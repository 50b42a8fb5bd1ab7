"""Files the engine writes: per-frame track and object rows, annotated video and PNG."""
