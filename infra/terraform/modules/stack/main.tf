# One Orion environment: network, security, data, compute and observability composed (one core,
# BFF replicas behind the ALB). envs/dev and envs/staging call it with their sizes.

data "aws_caller_identity" "current" {}

locals {
  name = "orion-${var.env}"
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  cidr               = var.cidr
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway
  kms_key_arn        = module.security.kms_key_arn
  log_retention_days = var.log_retention_days
}

module "security" {
  source               = "../../modules/security"
  name                 = local.name
  vpc_id               = module.network.vpc_id
  vpc_cidr             = module.network.vpc_cidr
  allowed_client_cidrs = var.allowed_client_cidrs
  topic_prefix         = var.env
  archive_bucket       = "${local.name}-archive-${data.aws_caller_identity.current.account_id}"
}

module "data" {
  source                  = "../../modules/data"
  name                    = local.name
  data_subnet_ids         = module.network.data_subnet_ids
  kms_key_arn             = module.security.kms_key_arn
  msk_security_group_id   = module.security.security_group_ids.msk
  rds_security_group_id   = module.security.security_group_ids.rds
  redis_security_group_id = module.security.security_group_ids.redis
  database_url_secret_id  = module.security.database_url_secret_id
  db_password             = module.security.db_password
  redis_auth_token        = module.security.redis_auth_token
  msk_broker_count        = var.msk_broker_count
  rds_instance_class      = var.rds_instance_class
  rds_multi_az            = var.rds_multi_az
  redis_replicas          = var.redis_replicas
  deletion_protection     = var.deletion_protection
  bucket_suffix           = data.aws_caller_identity.current.account_id
  log_retention_days      = var.log_retention_days
}

module "compute" {
  source              = "../../modules/compute"
  name                = local.name
  vpc_id              = module.network.vpc_id
  public_subnet_ids   = module.network.public_subnet_ids
  private_subnet_ids  = module.network.private_subnet_ids
  security_group_ids  = module.security.security_group_ids
  execution_role_arn  = module.security.execution_role_arn
  task_role_arns      = module.security.task_role_arns
  secret_arns         = module.security.secret_arns
  log_groups          = module.observability.log_groups
  image_repository    = var.image_repository
  image_tag           = var.image_tag
  topic_prefix        = var.env
  kafka_brokers       = module.data.kafka_bootstrap_brokers
  certificate_arn     = var.certificate_arn
  logs_bucket         = module.data.logs_bucket
  waf_acl_arn         = var.waf_acl_arn
  deletion_protection = var.deletion_protection
  bff_min             = var.bff_min
  bff_max             = var.bff_max
}

module "observability" {
  source                      = "../../modules/observability"
  name                        = local.name
  kms_key_arn                 = module.security.kms_key_arn
  log_retention_days          = var.log_retention_days
  alarm_emails                = var.alarm_emails
  alb_arn_suffix              = module.compute.alb_arn_suffix
  bff_target_group_arn_suffix = module.compute.bff_target_group_arn_suffix
  cluster_name                = module.compute.cluster_name
  service_names               = module.compute.service_names
  rds_identifier              = module.data.rds_identifier
  msk_cluster_name            = local.name
}
