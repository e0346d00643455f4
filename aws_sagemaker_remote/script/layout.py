"""Where things live inside a processing container, and how a job finds them.

Every path here is a container path. The local engine runs without Docker in namespaces
where ``/opt/ml`` is at its literal path; where namespaces are unavailable it maps
``/opt/ml`` onto a directory of the job's own, and the bootstrap applies that mapping
(``OPT_ML_ENV``) to its own options and to the script's arguments.
"""

OPT_ML = "/opt/ml"
PROCESSING_ROOT = "/opt/ml/processing"
CONFIG_DIR = "/opt/ml/config"
PROCESSING_JOB_CONFIG = "/opt/ml/config/processingjobconfig.json"
RESOURCE_CONFIG = "/opt/ml/config/resourceconfig.json"

CODE_DIR = "/opt/ml/processing/code"
BOOTSTRAP = "/opt/ml/processing/code/aws_sagemaker_remote/script/bootstrap.py"
REQUIREMENTS_DIR = "/opt/ml/processing/requirements"
CONFIGURATION_DIR = "/opt/ml/processing/configuration"
DEFAULT_INPUT_MOUNT = "/opt/ml/processing/input"
DEFAULT_OUTPUT_MOUNT = "/opt/ml/processing/output"
DEFAULT_MODULE_MOUNT = "/opt/ml/processing/modules"

# Names of the code channels in ProcessingInputs; user channels may not take them.
CODE_CHANNEL = "code"
REQUIREMENTS_CHANNEL = "requirements"
CONFIGURATION_CHANNEL = "configuration"
MODULE_CHANNEL_PREFIX = "module-"

# Set by the local engine: the directory that stands in for /opt/ml.
OPT_ML_ENV = "AWS_SAGEMAKER_REMOTE_OPT_ML"

LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
# Set by the local engine to the requirements file it installed into the job's cached
# environment already, so the bootstrap does not install it again.
REQUIREMENTS_INSTALLED_ENV = "AWS_SAGEMAKER_REMOTE_REQUIREMENTS_INSTALLED"
