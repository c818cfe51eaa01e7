"""What Recall says: shipped default templates and tips, overridable by the clinic in the database."""
