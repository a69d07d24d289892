terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
  # State in S3 with locking; the bucket and table are created once per account, outside Orion.
  backend "s3" {
    key          = "orion/dev/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project     = "orion"
      Environment = "dev"
      ManagedBy   = "terraform"
    }
  }
}
