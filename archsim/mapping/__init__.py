"""Where ops run and where tensors live."""
