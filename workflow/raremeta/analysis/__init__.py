"""What is fitted for each outcome, by which rule, and the results tables it becomes."""
