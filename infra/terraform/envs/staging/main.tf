# The staging environment: the Orion stack at staging's sizes. Apply with
# `terraform init -backend-config=…` and `terraform apply`; see infra/README.md.

module "orion" {
  source               = "../../modules/stack"
  env                  = "staging"
  cidr                 = "10.41.0.0/16"
  az_count             = 3
  single_nat_gateway   = false
  log_retention_days   = 365
  msk_broker_count     = 3
  rds_instance_class   = "db.r6g.large"
  rds_multi_az         = true
  redis_replicas       = 1
  deletion_protection  = true
  bff_min              = 2
  bff_max              = 8
  allowed_client_cidrs = var.allowed_client_cidrs
  image_repository     = var.image_repository
  image_tag            = var.image_tag
  certificate_arn      = var.certificate_arn
  waf_acl_arn          = var.waf_acl_arn
  alarm_emails         = var.alarm_emails
}
