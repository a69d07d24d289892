variable "region" {
  type    = string
  default = "eu-west-2"
}

variable "allowed_client_cidrs" {
  description = "Who may reach the load balancer (office and VPN ranges for dev/staging)."
  type        = list(string)
}

variable "image_repository" {
  description = "ECR repository holding the orion image."
  type        = string
}

variable "image_tag" {
  description = "The image to run: a commit-tagged build of infra/container/Dockerfile."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate of the environment's host name."
  type        = string
}

variable "waf_acl_arn" {
  type    = string
  default = null
}

variable "alarm_emails" {
  type    = list(string)
  default = []
}
