# churn: the reference project's own code
