"""Tasks (nhiệm vụ): assignment, deadlines, extensions and the working-day calendar."""
