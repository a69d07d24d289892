output "kms_key_arn" {
  value = aws_kms_key.this.arn
}

output "security_group_ids" {
  value = {
    alb   = aws_security_group.alb.id
    bff   = aws_security_group.bff.id
    core  = aws_security_group.core.id
    msk   = aws_security_group.msk.id
    rds   = aws_security_group.rds.id
    redis = aws_security_group.redis.id
  }
}

output "secret_arns" {
  value = {
    jwt          = aws_secretsmanager_secret.jwt.arn
    internal     = aws_secretsmanager_secret.internal.arn
    database_url = aws_secretsmanager_secret.database_url.arn
  }
}

output "database_url_secret_id" {
  value = aws_secretsmanager_secret.database_url.id
}

output "db_password" {
  value     = random_password.db.result
  sensitive = true
}

output "redis_auth_token" {
  value     = random_password.redis.result
  sensitive = true
}

output "execution_role_arn" {
  value = aws_iam_role.execution.arn
}

output "task_role_arns" {
  value = {
    core = aws_iam_role.core.arn
    bff  = aws_iam_role.bff.arn
  }
}
