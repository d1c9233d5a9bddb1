"""The cadres' law exam: exams and their paper rules, attempts, results, certificates."""
