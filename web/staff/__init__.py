"""The staff pages: the reservation register, the plan of the day, the docket, reception."""
