"""Publicity events: rotating-QR check-in, on-site quizzes, photos, and the year's archive."""
