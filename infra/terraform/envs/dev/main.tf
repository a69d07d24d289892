# The dev environment: the Orion stack at dev's sizes. Apply with
# `terraform init -backend-config=…` and `terraform apply`; see infra/README.md.

module "orion" {
  source               = "../../modules/stack"
  env                  = "dev"
  cidr                 = "10.40.0.0/16"
  az_count             = 2
  single_nat_gateway   = true
  log_retention_days   = 30
  msk_broker_count     = 2
  rds_instance_class   = "db.t4g.medium"
  rds_multi_az         = false
  redis_replicas       = 0
  deletion_protection  = false
  bff_min              = 2
  bff_max              = 4
  allowed_client_cidrs = var.allowed_client_cidrs
  image_repository     = var.image_repository
  image_tag            = var.image_tag
  certificate_arn      = var.certificate_arn
  waf_acl_arn          = var.waf_acl_arn
  alarm_emails         = var.alarm_emails
}
