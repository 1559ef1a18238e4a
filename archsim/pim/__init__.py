"""In-memory compute units: in-bank digital PIM (HBM-PIM-like, AiM-like) and near-memory units."""
